from __future__ import annotations

import pytest

from services.detectors.rules.canteen.c6_bulk_inspection import RULE
from services.detectors.testing import ORG_A, event, org, run, staff


def inspection(
    inspectors: list[str], *, purchaser: str = "S-BUYER", is_bulk: bool = True, event_id: str = "e1"
) -> dict:
    return event(
        "canteen.inbound_inspection",
        {
            "inspection_id": f"IN-{event_id}",
            "order_id": "PO-1",
            "supplier": org(ORG_A),
            "delivered_at": "2026-09-01T07:00:00+08:00",
            "inspected_at": "2026-09-01T07:20:00+08:00",
            "is_bulk": is_bulk,
            "purchaser": staff(purchaser),
            "inspectors": [{"staff_id": s, "role": "canteen_manager"} for s in inspectors],
            "warehouse_id": "WH-1",
            "lines": [
                {
                    "item_code": "RICE-01",
                    "item_name": "大米",
                    "category": "grain",
                    "unit": "kg",
                    "quantity_delivered": "100",
                    "quantity_accepted": "100",
                    "unit_price_fen": 420,
                    "amount_fen": 42000,
                }
            ],
            "result": "accepted",
            "total_amount_fen": 42000,
        },
        at="2026-09-01T07:20:00+08:00",
        event_id=event_id,
    )


@pytest.mark.parametrize(
    ("inspectors", "is_bulk", "expected"),
    [
        pytest.param([], True, "0", id="nobody signed"),
        pytest.param(["S-1"], True, "1", id="one inspector"),
        pytest.param(["S-BUYER", "S-1"], True, "1", id="purchaser is one of two"),
        pytest.param(["S-1", "S-1"], True, "1", id="same person twice"),
        pytest.param(["S-1", "S-2"], True, None, id="boundary: two independent inspectors"),
        pytest.param(["S-BUYER", "S-1", "S-2"], True, None, id="two besides the purchaser"),
        pytest.param(["S-1"], False, None, id="not a bulk delivery"),
    ],
)
def test_bulk_delivery_needs_two_inspectors_besides_the_purchaser(inspectors, is_bulk, expected):
    alerts = run(RULE, [inspection(inspectors, is_bulk=is_bulk)])
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_alert_names_the_supplier_record_and_purchaser_involvement():
    [alert] = run(RULE, [inspection(["S-BUYER"])])
    assert alert["subject"] == {"kind": "vendor", "id": ORG_A}
    assert alert["threshold"] == "2" and alert["comparison"] == "<"
    assert alert["evidence_event_ids"] == ["e1"]
    assert alert["details"]["purchaser_inspected"] is True
    assert alert["details"]["total_amount_yuan"] == "420"


def test_each_inspection_gets_its_own_alert_and_redelivery_does_not_add_one():
    first, second = inspection(["S-1"], event_id="e1"), inspection(["S-1"], event_id="e2")
    alerts = run(RULE, [first, second, first])
    assert len({a["alert_id"] for a in alerts}) == 2


def test_minimum_is_configurable():
    assert run(RULE, [inspection(["S-1", "S-2"])], minimum_inspectors=3)
