"""Sample alerts and a hand-moved clock for tests and benchmarks.

Shipped with the service (like ``httpx.MockTransport``) so every suite, the API's
and the benchmark's included, builds them alike.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.alerting.domain.alerts import Alert, RiskArea, Severity, Subject, SubjectKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


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
