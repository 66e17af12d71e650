from __future__ import annotations

import pytest

from services.detectors.rules.canteen.fixtures import purchase_order
from services.detectors.rules.procurement.fixtures import contract
from services.detectors.rules.procurement.p3_near_threshold_cluster import RULE
from services.detectors.testing import ORG_A, ORG_B, assert_order_independent, run


def near(record: str, yuan: int, day: int, *, supplier: str = ORG_A, month: int = 5) -> dict:
    return contract(
        record, yuan * 100, at=f"2026-{month:02d}-{day:02d}T10:00:00+08:00", supplier=supplier
    )


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([near("A", 95_000, 1), near("B", 98_000, 10), near("C", 99_999, 20)], ["100000"]),
        ([near("A", 95_000, 1), near("B", 98_000, 10), near("C", 100_000, 20)], []),
        ([near("A", 90_000, 1), near("B", 90_000, 10), near("C", 90_000, 20)], ["100000"]),
        ([near("A", 89_999, 1), near("B", 95_000, 10), near("C", 95_000, 20)], []),
        ([near("A", 95_000, 1), near("B", 98_000, 10), near("C", 99_000, 31)], []),
        ([near("A", 95_000, 1), near("B", 98_000, 10), near("C", 99_000, 20, supplier=ORG_B)], []),
        ([near("A", 1_900_000, 1), near("B", 1_950_000, 2), near("C", 1_990_000, 3)], ["2000000"]),
    ],
    ids=[
        "three under 10万",
        "boundary: one at the threshold",
        "boundary: 90 % is in the band",
        "below the band",
        "spread over 30 days",
        "different vendors",
        "under 200万",
    ],
)
def test_clusters_just_under_a_threshold(events, expected):
    assert [a["details"]["threshold_yuan"] for a in run(RULE, events)] == expected


def test_canteen_orders_count_and_the_alert_names_the_vendor():
    orders = [
        purchase_order(f"PO-{d}", 48_000, at=f"2026-09-{d:02d}T10:00:00+08:00") for d in (1, 8, 15)
    ]
    [alert] = assert_order_independent(RULE, orders, lateness_minutes=60 * 24 * 20)
    assert alert["subject"] == {"kind": "vendor", "id": ORG_A}
    assert (alert["measured_value"], alert["threshold"]) == ("3", "3")
    assert alert["window"] == {
        "start": "2026-08-16T10:00:00+08:00",
        "end": "2026-09-15T10:00:00+08:00",
    }


def test_a_second_cluster_after_the_first_is_a_second_alert():
    events = [near(c, 95_000, d) for c, d in zip("ABCDEF", (1, 5, 9, 13, 17, 21), strict=True)]
    alerts = run(RULE, events)
    assert [a["details"]["purchases"] for a in alerts] == [
        ["contract:A", "contract:B", "contract:C"],
        ["contract:D", "contract:E", "contract:F"],
    ]
