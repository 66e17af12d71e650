"""Sample alerts, sample users, a hand-moved clock and an evidence source for tests and benchmarks.

Shipped with the service (like ``httpx.MockTransport``) so every suite, the API's
and the benchmark's included, builds them alike.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from services.alerting.domain.access import Role, User
from services.alerting.domain.alerts import Alert, RiskArea, Severity, Subject, SubjectKind
from services.alerting.domain.audit_bundle import EvidenceQuery, EvidenceRecord
from services.alerting.service_layer.accounts import NewUser

if TYPE_CHECKING:
    from services.alerting.bootstrap import AlertingService

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE_PASSWORD = "correct-horse-battery"
_serial = itertools.count(1)

# One of each role around district 500102 and its school 500102001 (whose sample
# principal is ``PRINCIPAL`` in the suites' leaders directories).
SAMPLE_USERS = (
    NewUser("inspector", "区纪检 王监察", Role.DISTRICT_INSPECTOR, SAMPLE_PASSWORD, "500102"),
    NewUser(
        "officer", "校纪检 李老师", Role.SCHOOL_OFFICER, SAMPLE_PASSWORD, "500102", "500102001"
    ),
    NewUser(
        "neighbour", "校纪检 赵老师", Role.SCHOOL_OFFICER, SAMPLE_PASSWORD, "500102", "500102002"
    ),
    NewUser("auditor", "审计 周审计", Role.AUDITOR, SAMPLE_PASSWORD, "500102"),
    NewUser("admin", "管理员", Role.ADMINISTRATOR, SAMPLE_PASSWORD),
)


def add_sample_users(service: AlertingService) -> dict[str, User]:
    """Create ``SAMPLE_USERS`` (password ``SAMPLE_PASSWORD``); returns them by user name."""
    return {command.username: service.add_user(command) for command in SAMPLE_USERS}


class ManualClock:
    """A clock that moves only when the test says so; pass it as ``bootstrap(..., clock=...)``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def sample_alert(**overrides: Any) -> Alert:
    """A contract-valid alert; ``alert_id`` is fresh unless given, every other field can be overridden."""
    event_time = overrides.pop("event_time", datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))
    base = Alert(
        alert_id=f"al-test-{next(_serial):08d}",
        rule_id="C6",
        rule_version="1.0.0",
        title_zh="大宗食材验收少于两人或由采购人验收",
        title_en="Bulk food delivery inspected by fewer than two people or by the purchaser",
        severity=Severity.ORANGE,
        risk_area=RiskArea.CANTEEN,
        school_id="500102001",
        district_id="500102",
        subject=Subject(SubjectKind.VENDOR, "91500102MA5U000001"),
        measured_value="1",
        threshold="2",
        comparison="<",
        evidence_event_ids=("canteen-inbound-inspection-0002",),
        citation="《学校食堂大宗食材采购验收管理工作指引》(2025)",
        window=None,
        event_time=event_time,
        detected_at=event_time + timedelta(seconds=1),
        rules_config_hash="9b1d4e7a2c3f5b68",
        details={"inspector_count": 1},
    )
    return replace(base, **overrides)


def raw_event_record(
    event_id: str, *, offset: int = 0, school_id: str = "500102001"
) -> EvidenceRecord:
    """A raw canteen event as the evidence reader returns it (value: the record's JSON text)."""
    value = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/schools/500102001/canteen",
        "type": "cn.edu.qinglian.canteen.inbound_inspection.v1",
        "time": "2026-09-28T08:30:00+08:00",
        "schoolid": school_id,
        "data": {"inspectors": ["pn:" + "b" * 32], "note": "验收"},
    }
    return EvidenceRecord(
        event_id=event_id,
        topic="qinglian.raw.canteen",
        partition=2,
        offset=offset,
        kafka_time=datetime(2026, 9, 28, 0, 30, offset % 60, tzinfo=UTC),
        value=json.dumps(value, ensure_ascii=False),
    )


class RecordingEvidenceSource:
    """An evidence source over fixed records that remembers every query it was asked."""

    topics = ("qinglian.raw.canteen", "qinglian.raw.procurement")

    def __init__(self, records: Sequence[EvidenceRecord] = ()) -> None:
        self.records = {record.event_id: record for record in records}
        self.queries: list[EvidenceQuery] = []

    def find(self, queries: Sequence[EvidenceQuery]) -> list[EvidenceRecord]:
        self.queries.extend(queries)
        wanted = {event_id for query in queries for event_id in query.event_ids}
        return [record for event_id, record in self.records.items() if event_id in wanted]
