"""`qinglian audit verify` finds every history edited, reordered or cut short directly in the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from qinglian.settings import Settings
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.workflow import Action
from services.alerting.testing import ManualClock, sample_alert

pytestmark = pytest.mark.integration

QINGLIAN = Path(sys.executable).with_name("qinglian")


def audit_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process, on the test's database."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QINGLIAN_")}
    environment["QINGLIAN_DATABASE_URL"] = database_url
    return subprocess.run(
        [str(QINGLIAN), "audit", "verify"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db_service(
    settings: Settings, session_factory: sessionmaker[Session], clock: ManualClock
) -> AlertingService:
    return bootstrap(settings, uow=SqlAlchemyUnitOfWork(session_factory), clock=clock)


def worked_case(service: AlertingService, rule_id: str) -> str:
    """A case with four history entries: opened, evidence, assigned, investigating."""
    report = service.ingest([sample_alert(rule_id=rule_id), sample_alert(rule_id=rule_id)])
    (case_id,) = set(report.case_ids.values())
    service.take_action(
        TakeAction(case_id, Action.ASSIGN, actor="lead", assignee="a1", comment="请核查")
    )
    service.take_action(TakeAction(case_id, Action.INVESTIGATE, actor="a1"))
    return case_id


def test_an_untouched_database_verifies(database_url: str, db_service: AlertingService) -> None:
    worked_case(db_service, "C1")
    result = audit_verify(database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 1 cases, 0 failed" in result.stdout


def test_edited_reordered_and_truncated_histories_are_each_named(
    database_url: str, db_service: AlertingService, raw_sql: sa.Engine
) -> None:
    intact, edited, reordered, truncated = (
        worked_case(db_service, rule) for rule in ("C1", "C2", "C3", "C4")
    )
    with raw_sql.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE case_history SET comment = '无需核查' WHERE case_id = :case AND seq = 3"
            ),
            {"case": edited},
        )
        for seq, temporary in ((2, -2), (3, 2), (-2, 3)):
            connection.execute(
                sa.text("UPDATE case_history SET seq = :new WHERE case_id = :case AND seq = :old"),
                {"new": temporary, "old": seq, "case": reordered},
            )
        connection.execute(
            sa.text("DELETE FROM case_history WHERE case_id = :case AND seq = 4"),
            {"case": truncated},
        )

    result = audit_verify(database_url)

    assert result.returncode == 1, result.stdout + result.stderr
    lines = {
        line.split("case ")[1].split(":")[0]: line
        for line in result.stdout.splitlines()
        if "TAMPERED" in line
    }
    assert set(lines) == {edited, reordered, truncated}
    assert "edited" in lines[edited] and "seq 3" in lines[edited]
    assert "reordered" in lines[reordered]
    assert "truncated" in lines[truncated] and "4 entries, found 3" in lines[truncated]
    assert intact not in result.stdout
    assert "checked 4 cases, 3 failed" in result.stdout
