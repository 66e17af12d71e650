"""Fixtures for the alerting unit tests: the real service wired to in-memory storage and a settable clock.

``exporting`` is that service with a recorded evidence source and attachments under
``tmp_path``; ``case_id`` is a worked case on it and ``bundle_files`` its audit bundle.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qinglian.settings import Settings
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.adapters.calendar import ChineseWorkdayCalendar
from services.alerting.adapters.leaders import StaticLeadersDirectory
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.alerts import Window
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.deadlines import DeadlinePolicy, Deadlines
from services.alerting.domain.history import Attachment
from services.alerting.domain.workflow import Action
from services.alerting.testing import (
    SHANGHAI,
    ManualClock,
    RecordingEvidenceSource,
    raw_event_record,
    sample_alert,
)

PRINCIPAL = "pn:" + "a" * 32
REPORT = b"%PDF-1.7 rectification report"
REPORT_SHA = hashlib.sha256(REPORT).hexdigest()


@pytest.fixture
def clock() -> ManualClock:
    # Monday 28 September 2026, the week before the National Day holiday (1–7 October).
    return ManualClock(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def deadlines() -> Deadlines:
    return Deadlines(DeadlinePolicy(), ChineseWorkdayCalendar())


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def notifier() -> LogNotifier:
    return LogNotifier()


@pytest.fixture
def service(
    settings: Settings, uow: MemoryUnitOfWork, clock: ManualClock, notifier: LogNotifier
) -> AlertingService:
    ids = iter(f"case-{n:04d}" for n in range(1, 10_000))
    return bootstrap(
        settings,
        uow=uow,
        clock=clock,
        notifier=notifier,
        leaders=StaticLeadersDirectory({"500102001": {"principal": PRINCIPAL}}),
        hasher=Argon2Hasher.for_tests(),
        new_id=lambda: next(ids),
    )


@pytest.fixture
def evidence() -> RecordingEvidenceSource:
    # ev-3 is cited but not on the raw topics any more: it must be listed as missing.
    return RecordingEvidenceSource([raw_event_record("ev-1", offset=7), raw_event_record("ev-2")])


@pytest.fixture
def exporting(
    settings: Settings,
    uow: MemoryUnitOfWork,
    clock: ManualClock,
    evidence: RecordingEvidenceSource,
    tmp_path: Path,
) -> AlertingService:
    attachments = FileAttachmentStore(tmp_path / "attachments")
    attachments.put("整改报告.pdf", REPORT)
    return bootstrap(
        settings,
        uow=uow,
        clock=clock,
        hasher=Argon2Hasher.for_tests(),
        evidence=evidence,
        attachments=attachments,
    )


@pytest.fixture
def case_id(exporting: AlertingService, clock: ManualClock) -> str:
    """A case from two alerts (three cited events), assigned, investigated and rectified with a report."""
    first = sample_alert(alert_id="al-1", evidence_event_ids=("ev-1",))
    second = sample_alert(
        alert_id="al-2",
        evidence_event_ids=("ev-2", "ev-3"),
        rules_config_hash="0123456789abcdef",
        window=Window(first.event_time - timedelta(days=7), first.event_time),
    )
    report = exporting.ingest([first, second])
    (case,) = set(report.case_ids.values())
    for action, extra in (
        (Action.ASSIGN, {"assignee": "a1", "comment": "请核查"}),
        (Action.INVESTIGATE, {}),
        (
            Action.RECTIFY,
            {"comment": "已整改", "attachments": (Attachment("整改报告.pdf", REPORT_SHA),)},
        ),
    ):
        clock.advance(hours=1)
        exporting.take_action(TakeAction(case, action, actor="a1", **extra))
    return case


@pytest.fixture
def bundle_files(exporting: AlertingService, case_id: str) -> dict[str, bytes]:
    return exporting.export_case(case_id, exporter="auditor-zhou").files
