"""Evidence as inspectors read it: labels, yuan from fen, Beijing time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.alerting.domain.alerts import Window
from services.alerting.entrypoints.web.presenters import (
    detail_fields,
    duration_text,
    evidence_fields,
    yuan_from_fen,
)
from services.alerting.testing import sample_alert

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("key", "value", "english", "shown"),
    [
        ("amount_fen", 123456789, False, ("金额", "1,234,567.89 元")),
        ("unit_price_fen", 50, True, ("Unit price", "0.50 元")),
        ("surplus_yuan", "1200.00", False, ("结余", "1200.00 元")),
        ("purchaser_inspected", True, False, ("采购人参与验收", "是")),
        ("purchaser_inspected", False, True, ("Purchaser inspected", "no")),
        ("acted_at", "2026-09-27T18:30:00+00:00", False, ("操作时间", "2026-09-28 02:30")),
        ("service_date", "2026-09-28", False, ("供餐日期", "2026-09-28")),
        ("weird_key", ["a", 1], True, ("Weird key", '["a", 1]')),
        ("weird_key", None, False, ("weird_key", "—")),
    ],
)
def test_detail_fields(key: str, value: object, english: bool, shown: tuple[str, str]) -> None:
    (field,) = detail_fields({key: value}, SHANGHAI, english)
    assert (field.label, field.value) == shown


def test_an_alert_reads_as_measured_against_threshold_with_its_source_events() -> None:
    alert = sample_alert(
        measured_value="1200.00",
        threshold="1000.00",
        comparison=">",
        details={"unit": "元", "amount_fen": 120000},
        window=Window(
            datetime.fromisoformat("2026-09-01T00:00:00+08:00"),
            datetime.fromisoformat("2026-09-30T23:59:00+08:00"),
        ),
        evidence_event_ids=("ev-1", "ev-2"),
    )
    fields = {f.label: f.value for f in evidence_fields(alert, SHANGHAI, english=False)}
    assert fields["实测值 / 阈值"] == "1200.00 元 > 1000.00 元"
    assert fields["统计区间"] == "2026-09-01 00:00 – 2026-09-30 23:59"
    assert fields["发生时间"] == "2026-09-28 09:00"
    assert fields["金额"] == "1,200.00 元"
    assert fields["原始事件"] == "ev-1、ev-2"


def test_money_and_durations() -> None:
    assert yuan_from_fen(-5) == "-0.05 元"
    assert duration_text(None, english=False) == "—"
    assert duration_text(datetime(2026, 1, 3) - datetime(2026, 1, 1), english=True) == "2.0 days"
    assert (
        duration_text(datetime(2026, 1, 1, 6) - datetime(2026, 1, 1), english=False) == "6.0 小时"
    )
