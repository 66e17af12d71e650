"""`qinglian db upgrade` / `qinglian db check` on an empty PostgreSQL database and an empty SQLite file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from qinglian.cli import app
from qinglian.settings import Settings
from qinglian.stack import postgres
from services.alerting.adapters import migrator
from services.alerting.adapters.database import create_database_engine
from services.alerting.adapters.orm import ModelBase
from services.alerting.errors import MigrationError

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    settings: Settings = request.getfixturevalue("settings")
    name = f"qinglian_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres.database_url(settings, database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def table_names(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_check_passes(empty_database_url: str) -> None:
    migrator.upgrade(empty_database_url)
    assert {table.name for table in ModelBase.metadata.sorted_tables} <= table_names(
        empty_database_url
    )
    assert migrator.current(empty_database_url).endswith("(head)")
    migrator.check(empty_database_url)


def test_check_fails_when_the_schema_drifts_from_the_models(empty_database_url: str) -> None:
    migrator.upgrade(empty_database_url)
    engine = create_database_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX ix_cases_district_inbox"))
    engine.dispose()
    with pytest.raises(
        MigrationError, match="case tables and migrations differ.*ix_cases_district_inbox"
    ):
        migrator.check(empty_database_url)


def test_check_fails_on_a_database_that_is_not_upgraded(empty_database_url: str) -> None:
    with pytest.raises(MigrationError, match="qinglian db upgrade"):
        migrator.check(empty_database_url)


def test_other_services_tables_in_the_same_database_are_left_alone(empty_database_url: str) -> None:
    migrator.upgrade(empty_database_url)
    engine = create_database_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE ingest_dedup (source_id VARCHAR(128), event_id VARCHAR(256))")
        )
    engine.dispose()
    migrator.check(empty_database_url)


def test_downgrade_to_base_removes_the_tables(empty_database_url: str) -> None:
    from alembic import command

    migrator.upgrade(empty_database_url)
    command.downgrade(migrator.alembic_config(empty_database_url), "base")
    assert not {table.name for table in ModelBase.metadata.sorted_tables} & table_names(
        empty_database_url
    )


def test_the_cli_upgrades_and_checks(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "(head)" in upgraded.output
    checked = runner.invoke(app, ["db", "check"])
    assert checked.exit_code == 0 and "match" in checked.output
