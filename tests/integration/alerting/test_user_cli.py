"""`qinglian alerting user add|list|token`: accounts from the command line, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qinglian.settings import Settings
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import bootstrap
from services.alerting.entrypoints.web.app import create_app

pytestmark = pytest.mark.integration

QINGLIAN = Path(sys.executable).with_name("qinglian")


def qinglian(
    database_url: str, *arguments: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QINGLIAN_")}
    environment["QINGLIAN_DATABASE_URL"] = database_url
    return subprocess.run(
        [str(QINGLIAN), *arguments],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_users_and_tokens_from_the_command_line(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    added = qinglian(
        database_url,
        *("alerting", "user", "add", "zhang", "--role", "school_officer"),
        *("--district", "500102", "--school", "500102001", "--name", "张老师", "--password-stdin"),
        stdin="a-long-enough-password\n",
    )
    assert added.returncode == 0, added.stderr
    refused = qinglian(
        database_url,
        *("alerting", "user", "add", "li", "--role", "school_officer", "--password-stdin"),
        stdin="a-long-enough-password\n",
    )
    assert refused.returncode != 0 and "--district and --school" in refused.stderr
    listed = qinglian(database_url, "alerting", "user", "list")
    assert "zhang" in listed.stdout and "500102001" in listed.stdout and "li " not in listed.stdout
    issued = qinglian(database_url, "alerting", "user", "token", "zhang", "--name", "export")
    assert issued.returncode == 0 and "shown only this once" in issued.stderr
    token = issued.stdout.strip()

    engine = create_database_engine(database_url)
    service = bootstrap(settings, uow=SqlAlchemyUnitOfWork(new_session_factory(engine)))
    client = TestClient(create_app(settings, service, attachments=FileAttachmentStore(tmp_path)))
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["role"], me["school_id"]) == ("zhang", "school_officer", "500102001")
    assert service.authenticate("zhang", "a-long-enough-password").display_name == "张老师"
    engine.dispose()
