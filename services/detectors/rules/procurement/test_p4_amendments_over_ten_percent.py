from __future__ import annotations

import pytest

from services.detectors.rules.procurement.fixtures import amendment, contract
from services.detectors.rules.procurement.p4_amendments_over_ten_percent import RULE
from services.detectors.testing import assert_order_independent, run

ORIGINAL = 1_000_000 * 100


def amend(amendment_id: str, change_yuan: int, day: int, status: str = "approved") -> dict:
    return amendment(
        "C1",
        change_yuan * 100,
        at=f"2026-05-{day:02d}T10:00:00+08:00",
        original_fen=ORIGINAL,
        status=status,
        amendment_id=amendment_id,
    )


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([amend("A1", 60_000, 1), amend("A2", 50_000, 5)], "110000"),
        ([amend("A1", 60_000, 1), amend("A2", 40_000, 5)], None),
        ([amend("A1", 60_000, 1), amend("A2", 50_000, 5, status="rejected")], None),
        ([amend("A1", 120_000, 1), amend("A2", -50_000, 5)], "120000"),
        (
            [contract("C1", 500_000 * 100, at="2026-03-01T10:00:00+08:00"), amend("A1", 60_000, 1)],
            "60000",
        ),
    ],
    ids=[
        "two amendments above 10 %",
        "boundary: exactly 10 %",
        "rejected does not count",
        "a later decrease does not undo it",
        "contract value wins over the stated original",
    ],
)
def test_amendments_above_ten_percent(events, expected):
    alerts = run(RULE, events)
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_alert_names_the_contract_and_is_order_independent():
    events = [
        amend("A1", 30_000, 1),
        amend("A2", 30_000, 3),
        amend("A3", 50_000, 5),
        amend("A4", 10_000, 7),
    ]
    [alert] = assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 10)
    assert alert["subject"] == {"kind": "contract", "id": "C1"}
    assert (alert["measured_value"], alert["threshold"]) == ("110000", "100000")
    assert alert["evidence_event_ids"] == [e["id"] for e in events[:3]]


def test_approval_replacing_pending_status_counts_from_its_own_time():
    pending = amend("A2", 50_000, 5, status="pending")
    approved = amendment(
        "C1", 50_000 * 100, at="2026-05-09T10:00:00+08:00", original_fen=ORIGINAL, amendment_id="A2"
    )
    [alert] = run(RULE, [amend("A1", 60_000, 1), pending, approved])
    assert alert["event_time"] == "2026-05-09T10:00:00+08:00"
