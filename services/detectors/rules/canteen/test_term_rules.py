"""C1 (subsidy over-claims and under-spending) and C3 (canteen surplus): term windows."""

from __future__ import annotations

import pytest

from services.detectors.rules.canteen.c1_subsidy_claims import RULE as C1
from services.detectors.rules.canteen.c3_canteen_surplus import RULE as C3
from services.detectors.rules.canteen.fixtures import meal_fee, spending, subsidy_claim
from services.detectors.testing import assert_order_independent, run

TERM_LATENESS = 60 * 24 * 200  # any order within the term counts as "within lateness"


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (subsidy_claim("CL-1", beneficiaries=100, days=20, claimed_yuan=10_000), None),
        (
            subsidy_claim("CL-1", beneficiaries=100, days=20, claimed_yuan=10_001),
            ("10001", "10000"),
        ),
        (
            subsidy_claim("CL-1", beneficiaries=100, days=20, claimed_yuan=11_200, local_fen=60),
            None,
        ),
        (
            subsidy_claim("CL-1", beneficiaries=100, days=20, claimed_yuan=11_201, local_fen=60),
            ("11201", "11200"),
        ),
    ],
    ids=[
        "boundary: 5 元 × 100 × 20",
        "one 元 over",
        "boundary with Chongqing's 0.6 元",
        "over with the supplement",
    ],
)
def test_c1_over_claim(claim, expected):
    alerts = [
        a
        for a in run(C1, [claim, spending("SP-1", 10_000)])
        if a["details"]["check"] == "over_claim"
    ]
    assert [(a["measured_value"], a["threshold"]) for a in alerts] == (
        [expected] if expected else []
    )


@pytest.mark.parametrize(
    ("spent", "fires"),
    [
        ([9_000], False),
        ([8_999], True),
        ([5_000, 4_000], False),
        ([9_000, ("SP-X", "staff_meals")], False),
    ],
    ids=[
        "boundary: 90 % spent",
        "just under 90 %",
        "several payments",
        "non-food is not counted as meals but does not lower the floor",
    ],
)
def test_c1_under_spend_when_the_term_is_final(spent, fires):
    payments = [
        spending(item[0], 1_000, category=item[1])
        if isinstance(item, tuple)
        else spending(f"SP-{i}", item)
        for i, item in enumerate(spent)
    ]
    alerts = [
        a
        for a in run(C1, [subsidy_claim("CL-1"), *payments])
        if a["details"]["check"] == "under_spend"
    ]
    assert bool(alerts) is fires


def test_c1_under_spend_is_judged_at_the_end_of_term_whatever_the_order():
    events = [
        subsidy_claim("CL-1"),
        subsidy_claim("CL-2", claimed_yuan=5_000, at="2026-10-31T10:00:00+08:00"),
        spending("SP-1", 6_000),
        spending("SP-2", 3_000, at="2026-11-05T10:00:00+08:00"),
    ]
    [alert] = assert_order_independent(C1, events, lateness_minutes=TERM_LATENESS)
    assert (alert["measured_value"], alert["threshold"]) == ("9000", "13500")
    assert alert["window"] == {
        "start": "2026-09-01T00:00:00+08:00",
        "end": "2027-02-01T00:00:00+08:00",
    }
    assert run(C1, events, flush=False) == []


@pytest.mark.parametrize(
    ("spent_yuan", "expected"),
    [(95_000, None), (94_999, "0.05"), (50_000, "0.5")],
    ids=["boundary: 5 % surplus", "just above 5 %", "half kept"],
)
def test_c3_surplus_ratio(spent_yuan, expected):
    events = [
        meal_fee("F-1", 60_000),
        subsidy_claim("CL-1", claimed_yuan=40_000),
        spending("SP-1", spent_yuan, fund="meal_fee"),
    ]
    alerts = assert_order_independent(C3, events, lateness_minutes=TERM_LATENESS)
    assert [a["measured_value"][:4] for a in alerts] == ([expected[:4]] if expected else [])


def test_c3_small_canteens_and_other_funds_are_left_out():
    assert run(C3, [meal_fee("F-1", 5_000)]) == []
    events = [meal_fee("F-1", 60_000), spending("SP-1", 60_000, fund="operating_fund")]
    [alert] = run(C3, events)
    assert alert["details"]["spent_yuan"] == "0"
