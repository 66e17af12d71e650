from __future__ import annotations

import pytest

from services.detectors.rules.procurement.fixtures import amendment, contract, payment
from services.detectors.rules.procurement.p12_payments_over_contract import RULE
from services.detectors.testing import assert_order_independent, run

SIGNED = "2026-03-01T10:00:00+08:00"


def pay(payment_id: str, yuan: int, day: int) -> dict:
    return payment("C1", yuan * 100, at=f"2026-04-{day:02d}T10:00:00+08:00", payment_id=payment_id)


def amend(yuan: int, day: int, status: str = "approved", amendment_id: str = "AM-1") -> dict:
    return amendment(
        "C1",
        yuan * 100,
        at=f"2026-04-{day:02d}T09:00:00+08:00",
        original_fen=100_000 * 100,
        status=status,
        amendment_id=amendment_id,
    )


CONTRACT = contract("C1", 100_000 * 100, at=SIGNED)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [CONTRACT, pay("P1", 60_000, 5), pay("P2", 50_000, 9)],
            ("110000", "100000"),
            id="over the contract",
        ),
        pytest.param(
            [CONTRACT, pay("P1", 60_000, 5), pay("P2", 40_000, 9)],
            None,
            id="boundary: exactly the contract",
        ),
        pytest.param(
            [CONTRACT, amend(10_000, 1), pay("P1", 60_000, 5), pay("P2", 50_000, 9)],
            None,
            id="amendment raises the ceiling",
        ),
        pytest.param(
            [
                CONTRACT,
                amend(10_000, 1, status="pending"),
                pay("P1", 60_000, 5),
                pay("P2", 50_000, 9),
            ],
            ("110000", "100000"),
            id="pending amendment does not count",
        ),
        pytest.param(
            [CONTRACT, pay("P1", 60_000, 5), pay("P2", 50_000, 9), amend(10_000, 20)],
            ("110000", "100000"),
            id="amendment approved after the payment comes too late",
        ),
        pytest.param(
            [amend(5_000, 1), pay("P1", 106_000, 5)],
            ("106000", "105000"),
            id="amendment's original value stands in",
        ),
        pytest.param([pay("P1", 900_000, 5)], None, id="no contract terms known"),
    ],
)
def test_payments_against_contract_and_amendments(events, expected):
    alerts = run(RULE, events)
    assert [(a["measured_value"], a["threshold"]) for a in alerts] == (
        [expected] if expected else []
    )


def test_alert_cites_contract_payments_and_amendments():
    events = [
        CONTRACT,
        amend(5_000, 1),
        pay("P1", 60_000, 5),
        pay("P2", 50_000, 9),
        pay("P3", 1_000, 10),
    ]
    [alert] = run(RULE, events)
    assert alert["subject"] == {"kind": "contract", "id": "C1"}
    assert alert["evidence_event_ids"] == [
        CONTRACT["id"],
        "payment-P1",
        "payment-P2",
        events[1]["id"],
    ]
    assert alert["event_time"] == "2026-04-09T10:00:00+08:00"
    assert alert["details"]["approved_amendments"] == 1
    assert alert["window"] is None


def test_arrival_order_does_not_matter_within_the_lateness():
    events = [
        CONTRACT,
        amend(5_000, 1),
        amend(3_000, 7, amendment_id="AM-2"),
        pay("P1", 60_000, 5),
        pay("P2", 50_000, 9),
    ]
    assert len(assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 60)) == 1


def test_amendment_approval_within_the_lateness_is_taken_into_account():
    late_approval = amend(20_000, 9, amendment_id="AM-9")
    late_approval["time"] = "2026-04-09T09:00:00+08:00"
    events = [CONTRACT, pay("P1", 60_000, 5), pay("P2", 50_000, 9), late_approval]
    assert run(RULE, events, flush=False, lateness_minutes=120) == []


def test_one_alert_per_contract_even_when_more_is_paid():
    events = [CONTRACT, pay("P1", 110_000, 5), pay("P2", 50_000, 9), pay("P3", 50_000, 12)]
    assert len(run(RULE, events)) == 1
