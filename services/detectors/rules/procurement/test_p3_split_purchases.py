from __future__ import annotations

import pytest

from services.detectors.rules.procurement.fixtures import contract
from services.detectors.rules.procurement.p3_split_purchases import RULE
from services.detectors.testing import assert_order_independent, run

WAN = 10_000 * 100  # 1 万元 in fen


def c(contract_id: str, wan: int, month: int, **kwargs) -> dict:
    return contract(contract_id, wan * WAN, at=f"2026-{month:02d}-10T10:00:00+08:00", **kwargs)


@pytest.mark.parametrize(
    ("contracts", "expected"),
    [
        pytest.param([c("A", 120, 3), c("B", 90, 5)], "2100000", id="two quotations above 200万"),
        pytest.param([c("A", 100, 3), c("B", 100, 5)], None, id="boundary: exactly 200万"),
        pytest.param([c("A", 250, 3)], None, id="one contract is not a split"),
        pytest.param(
            [c("A", 120, 3), c("B", 150, 5, method="公开招标")],
            None,
            id="open tender does not count",
        ),
        pytest.param(
            [c("A", 120, 3), c("B", 90, 5, category="A02010105")], None, id="different category"
        ),
        pytest.param(
            [c("A", 120, 3), c("B", 90, 5, budget_project="BP-2")],
            None,
            id="different budget project",
        ),
        pytest.param(
            [
                c("A", 120, 3),
                contract("B", 90 * WAN, at="2027-01-10T10:00:00+08:00", fiscal_year=2027),
            ],
            None,
            id="different fiscal year",
        ),
        pytest.param(
            [c("A", 150, 3, works=True), c("B", 150, 5, works=True)],
            None,
            id="works threshold is 400万",
        ),
        pytest.param(
            [c("A", 250, 3, works=True), c("B", 200, 5, works=True)],
            "4500000",
            id="works above 400万",
        ),
    ],
)
def test_non_open_purchases_above_the_open_tender_threshold(contracts, expected):
    alerts = run(RULE, contracts)
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_alert_names_the_first_contracts_that_crossed_in_signing_order():
    events = [c("A", 80, 2), c("B", 70, 4), c("C", 60, 6), c("D", 50, 8)]
    [alert] = run(RULE, events)
    assert alert["evidence_event_ids"] == [e["id"] for e in events[:3]]
    assert alert["details"]["contracts"] == ["A", "B", "C"]
    assert alert["subject"] == {"kind": "item", "id": "BP-2026-01/A02010104"}
    assert alert["window"] == {
        "start": "2026-01-01T00:00:00+08:00",
        "end": "2027-01-01T00:00:00+08:00",
    }
    assert alert["event_time"] == "2026-06-10T10:00:00+08:00"
    assert (alert["threshold"], alert["comparison"], alert["severity"]) == ("2000000", ">", "red")


def test_out_of_order_and_duplicated_contracts_give_the_same_alert():
    events = [c("A", 80, 2), c("B", 70, 4), c("C", 60, 6), c("D", 50, 8), c("E", 10, 9)]
    assert len(assert_order_independent(RULE, events, lateness_minutes=400 * 24 * 60)) == 1


def test_cancellation_within_the_lateness_withdraws_the_crossing():
    signed = contract("B", 90 * WAN, at="2026-05-10T10:00:00+08:00")
    cancelled = contract(
        "B", 90 * WAN, at="2026-05-10T10:00:00+08:00", status="cancelled", event_id="b-cancel"
    )
    cancelled["time"] = "2026-05-10T10:30:00+08:00"
    assert run(RULE, [c("A", 120, 3), signed, cancelled], flush=False) == []


def test_late_contract_after_the_alert_does_not_add_a_second_one():
    events = [c("A", 120, 3), c("B", 90, 5), c("C", 50, 9), c("Z", 300, 1)]
    assert len(run(RULE, events)) == 1


def test_a_contract_for_a_closed_fiscal_year_is_ignored():
    later_year = contract("N", 1 * WAN, at="2027-02-01T10:00:00+08:00", fiscal_year=2027)
    assert run(RULE, [later_year, c("A", 120, 3), c("B", 90, 5)]) == []


def test_threshold_is_configurable():
    events = [c("A", 120, 3), c("B", 90, 5)]
    assert run(RULE, events, open_tender_threshold_yuan="4000000") == []
