"""C_MEALS (meals vs enrolled) and C_PRICE (price vs district median)."""

from __future__ import annotations

import pytest

from services.detectors.rules.canteen.c_meals_above_enrolled import RULE as C_MEALS
from services.detectors.rules.canteen.c_price_above_district_median import RULE as C_PRICE
from services.detectors.rules.canteen.fixtures import meal_service, purchase_order
from services.detectors.rules.enrollment.fixtures import roster
from services.detectors.testing import OTHER_SCHOOL, SCHOOL, assert_order_independent, run


def snapshot(total: int, day: str = "2026-09-01") -> dict:
    return roster(f"R-{day}-{total}", ("C-1", 3, total), day=day)


@pytest.mark.parametrize(
    ("meals", "expected"),
    [(300, None), (301, "301")],
    ids=["boundary: every student ate", "one meal too many"],
)
def test_c_meals_above_enrolled(meals, expected):
    alerts = run(
        C_MEALS, [snapshot(300), meal_service("MS-1", day="2026-09-02", student_meals=meals)]
    )
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_c_meals_uses_the_latest_snapshot_before_the_meal_whatever_the_arrival_order():
    events = [
        snapshot(300, "2026-09-01"),
        meal_service("MS-1", day="2026-09-02", student_meals=320),
        snapshot(330, "2026-09-03"),
        meal_service("MS-2", day="2026-09-04", student_meals=320),
    ]
    [alert] = assert_order_independent(C_MEALS, events, lateness_minutes=60 * 24 * 5)
    assert alert["details"] == {
        "meal": "lunch",
        "enrolled": 300,
        "roster_taken_at": "2026-09-01T08:00:00+08:00",
    }
    assert sorted(alert["evidence_event_ids"]) == sorted(["meal-MS-1", events[0]["id"]])


def test_c_meals_without_an_earlier_snapshot_is_not_judged():
    assert (
        run(
            C_MEALS,
            [
                meal_service("MS-1", day="2026-09-02", student_meals=320),
                snapshot(300, "2026-09-03"),
            ],
        )
        == []
    )


def price_month(*prices: tuple[str, int], item: str = "RICE-01") -> list[dict]:
    schools = [SCHOOL, OTHER_SCHOOL, "500102003", "500102004", "500102005"]
    return [
        purchase_order(
            f"PO-{i}", price, item=item, school=school, at=f"2026-09-{i + 1:02d}T10:00:00+08:00"
        )
        for i, (school, price) in enumerate(zip(schools, [p for _, p in prices], strict=False))
    ]


@pytest.mark.parametrize(
    ("prices", "flagged"),
    [
        ([400, 400, 400, 520, 300], []),
        ([400, 400, 400, 521, 300], ["500102004"]),
        ([400, 410, 700], ["500102003"]),
        ([400, 700], []),
    ],
    ids=["boundary: 1.3 × median", "above 1.3 × median", "three schools", "too few schools"],
)
def test_c_price_above_the_district_median(prices, flagged):
    events = price_month(*[("", p) for p in prices])
    alerts = assert_order_independent(C_PRICE, events, lateness_minutes=60 * 24 * 40)
    assert [a["school_id"] for a in alerts] == flagged


def test_c_price_alert_is_per_item_and_month_with_the_median():
    events = price_month(("", 400), ("", 400), ("", 400), ("", 600)) + price_month(
        ("", 900), ("", 900), ("", 900), item="OIL-01"
    )
    [alert] = run(C_PRICE, events)
    assert alert["subject"] == {"kind": "item", "id": "RICE-01"}
    assert (alert["measured_value"], alert["threshold"]) == ("6", "5.2")
    assert alert["details"]["district_median_yuan"] == "4"
    assert alert["window"] == {
        "start": "2026-09-01T00:00:00+08:00",
        "end": "2026-10-01T00:00:00+08:00",
    }


def test_c_price_waits_for_the_month_to_be_final():
    assert run(C_PRICE, price_month(("", 400), ("", 400), ("", 400), ("", 600)), flush=False) == []
