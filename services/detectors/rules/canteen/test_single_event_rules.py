"""C2, C7 and C9: single-event canteen rules, table-driven."""

from __future__ import annotations

import pytest

from services.detectors.rules.canteen.c2_subsidy_misuse import RULE as C2
from services.detectors.rules.canteen.c7_accompanying_leader import RULE as C7
from services.detectors.rules.canteen.c9_inventory_balance import RULE as C9
from services.detectors.rules.canteen.fixtures import (
    meal_service,
    spending,
    stock_count,
    stock_line,
)
from services.detectors.testing import ORG_A, run


@pytest.mark.parametrize(
    ("fund", "category", "payee_type", "fires"),
    [
        ("nutrition_subsidy_central", "cash_to_parents", "parent", True),
        ("nutrition_subsidy_local", "staff_meals", "supplier", True),
        ("nutrition_subsidy_central", "food", "supplier", False),
        ("meal_fee", "labour", "other_person", False),
    ],
)
def test_c2_subsidy_may_only_buy_food(fund, category, payee_type, fires):
    assert (
        bool(run(C2, [spending("SP-1", 800, fund=fund, category=category, payee_type=payee_type)]))
        is fires
    )


def test_c2_alert_names_the_payee():
    [to_vendor] = run(C2, [spending("SP-1", 800, category="publicity")])
    [to_person] = run(
        C2, [spending("SP-2", 800, category="cash_to_students", payee_type="student")]
    )
    assert to_vendor["subject"] == {"kind": "vendor", "id": ORG_A}
    assert to_person["subject"] == {"kind": "account", "id": "6222000011112222"}
    assert (to_vendor["measured_value"], to_vendor["details"]["expense_category"]) == (
        "800",
        "publicity",
    )


@pytest.mark.parametrize(
    ("leaders", "fires"),
    [
        ((), True),
        ((("S-T", "class_teacher"),), True),
        ((("S-P", "principal"),), False),
        ((("S-M", "middle_manager"), ("S-T", "class_teacher")), False),
    ],
    ids=["nobody", "only a class teacher", "boundary: one leader", "a middle manager"],
)
def test_c7_every_meal_needs_a_leader(leaders, fires):
    assert bool(run(C7, [meal_service("MS-1", leaders=leaders)])) is fires


def test_c7_one_alert_per_meal_service():
    alerts = run(
        C7,
        [
            meal_service("MS-1", leaders=()),
            meal_service("MS-2", meal="dinner", leaders=()),
            meal_service("MS-1", leaders=()),
        ],
    )
    assert len({a["alert_id"] for a in alerts}) == 2


@pytest.mark.parametrize(
    ("line", "checks"),
    [
        (
            stock_line("R", opening="10", inbound="5", outbound="16", book="0", counted="0"),
            ["outbound_beyond_stock"],
        ),
        (stock_line("R", opening="10", inbound="5", outbound="15", book="0", counted="0"), []),
        (
            stock_line("R", opening="10", inbound="10", outbound="0", book="20", counted="18.9"),
            ["count_differs_from_book"],
        ),
        (stock_line("R", opening="10", inbound="10", outbound="0", book="20", counted="19"), []),
    ],
    ids=[
        "issued beyond stock",
        "boundary: all stock issued",
        "count off by 5.5 %",
        "boundary: count off by 5 %",
    ],
)
def test_c9_inventory_balances(line, checks):
    assert [a["details"]["check"] for a in run(C9, [stock_count("SC-1", line)])] == checks
