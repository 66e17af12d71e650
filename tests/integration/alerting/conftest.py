"""Fixtures for the alerting integration tests: the same suite on PostgreSQL and SQLite.

Each backend's database is created and migrated once per session (PostgreSQL:
the session's fresh ``qinglian_test_<random>`` database on the local cluster;
SQLite: a file under the session's temporary directory). Every test starts from
empty alerting tables. ``client`` serves the API and console in-process on the
same storage as ``service``; ``users`` are the sample users (one per role).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from qinglian.settings import Settings
from services.alerting.adapters import migrator
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.leaders import StaticLeadersDirectory
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.adapters.orm import ModelBase
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.access import User
from services.alerting.entrypoints.web.app import create_app
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork
from services.alerting.testing import SAMPLE_PASSWORD, SHANGHAI, ManualClock, add_sample_users

PRINCIPAL = "pn:" + "d" * 32
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def migrated_postgresql_url(postgres_database_url: str) -> str:
    migrator.upgrade(postgres_database_url)
    return postgres_database_url


@pytest.fixture(scope="session")
def migrated_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("alerting") / "cases.db"
    url = f"sqlite:///{path}"
    migrator.upgrade(url)
    return url


def empty_alerting_tables(url: str) -> None:
    engine = create_database_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(ModelBase.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url: str = request.getfixturevalue(f"migrated_{request.param}_url")
    empty_alerting_tables(url)
    yield url


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_database_engine(database_url)
    yield new_session_factory(engine)
    engine.dispose()


@pytest.fixture
def raw_sql(database_url: str) -> Iterator[sa.Engine]:
    """A plain engine, for what the application never does: editing rows behind its back."""
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["memory", *BACKENDS])
def any_uow(request: pytest.FixtureRequest) -> Iterator[AbstractUnitOfWork]:
    """The repository suite's unit of work: in memory, on SQLite and on PostgreSQL."""
    if request.param == "memory":
        yield MemoryUnitOfWork()
        return
    url: str = request.getfixturevalue(f"migrated_{request.param}_url")
    empty_alerting_tables(url)
    engine = create_database_engine(url)
    yield SqlAlchemyUnitOfWork(new_session_factory(engine))
    engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def service(settings: Settings, any_uow: AbstractUnitOfWork, clock: ManualClock) -> AlertingService:
    return bootstrap(
        settings,
        uow=any_uow,
        clock=clock,
        leaders=StaticLeadersDirectory({"500102001": {"principal": PRINCIPAL}}),
        hasher=Argon2Hasher.for_tests(),
    )


@pytest.fixture
def users(service: AlertingService) -> dict[str, User]:
    return add_sample_users(service)


@pytest.fixture
def client(settings: Settings, service: AlertingService, tmp_path: Path) -> Iterator[TestClient]:
    """The API and console in-process, on the suite's storage; attachments under ``tmp_path``."""
    app = create_app(settings, service, attachments=FileAttachmentStore(tmp_path / "attachments"))
    with TestClient(app) as test_client:
        yield test_client


def bearer(service: AlertingService, username: str) -> dict[str, str]:
    secret, _ = service.issue_token(username, "tests")
    return {"Authorization": f"Bearer {secret}"}


def log_in(client: TestClient, username: str, password: str = SAMPLE_PASSWORD) -> str:
    """Log in through the console's form; returns the session's CSRF token (from /api/v1/me)."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    csrf: str = client.get("/api/v1/me").json()["csrf_token"]
    return csrf
