"""P6 (too few bidders) and P10 (bid-rigging signals) on processes assembled from events."""

from __future__ import annotations

import pytest

from services.detectors.rules.ocds.fixtures import award, bid, ocid, tender
from services.detectors.rules.procurement.p6_too_few_bidders import RULE as P6
from services.detectors.rules.procurement.p10_bid_rigging_signals import RULE as P10
from services.detectors.testing import ORG_A, ORG_B, ORG_C, ORG_D, assert_order_independent, run

LATENESS = 60 * 24 * 40


@pytest.mark.parametrize(
    ("bids", "method", "expected"),
    [
        ([bid(1, ORG_A, 100), bid(1, ORG_B, 101)], "limited", "2"),
        ([bid(1, ORG_A, 100), bid(1, ORG_B, 101), bid(1, ORG_C, 102)], "limited", None),
        (
            [bid(1, ORG_A, 100), bid(1, ORG_B, 101), bid(1, ORG_C, 102, status="disqualified")],
            "open",
            "2",
        ),
        ([bid(1, ORG_A, 100)], "direct", None),
    ],
    ids=[
        "two bidders",
        "boundary: three bidders",
        "one of three disqualified",
        "single source is exempt",
    ],
)
def test_p6_fewer_than_three_valid_bidders(bids, method, expected):
    events = [tender(1, method=method), *bids, award(1)]
    alerts = assert_order_independent(P6, events, lateness_minutes=LATENESS)
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_p6_waits_for_the_award():
    assert run(P6, [tender(1, method="limited"), bid(1, ORG_A, 100)]) == []


@pytest.mark.parametrize(
    ("bids", "signals"),
    [
        (
            [
                bid(1, ORG_A, 100, deposit_account="6222000055556666"),
                bid(1, ORG_B, 90, deposit_account="6222000055556666"),
            ],
            ["deposit_account"],
        ),
        ([bid(1, ORG_A, 100), bid(1, ORG_B, 100), bid(1, ORG_C, 120)], ["identical_price"]),
        (
            [
                bid(1, ORG_A, 100, author="张工"),
                bid(1, ORG_B, 90, author="张工", machine="MC-1"),
                bid(1, ORG_C, 95, machine="MC-1"),
            ],
            ["document_author", "machine_code"],
        ),
        (
            [
                bid(1, ORG_A, 100, deposit_account="6222000055556666", author="A"),
                bid(1, ORG_B, 90, deposit_account="6222000077778888", author="B"),
            ],
            [],
        ),
        ([bid(1, ORG_A, 100), bid(1, ORG_B, 100, status="withdrawn")], []),
    ],
    ids=[
        "shared deposit account",
        "identical price",
        "same author and machine",
        "boundary: all different",
        "withdrawn bid ignored",
    ],
)
def test_p10_signals(bids, signals):
    alerts = assert_order_independent(P10, [tender(1), *bids], lateness_minutes=LATENESS)
    assert sorted(a["details"]["signal"] for a in alerts) == signals


def test_p10_alert_lists_who_shares_what():
    bids = [
        bid(1, t, p, deposit_account="6222000055556666")
        for t, p in ((ORG_A, 100), (ORG_B, 101), (ORG_C, 102))
    ]
    bids.append(bid(1, ORG_D, 90))
    [alert] = run(P10, [tender(1), *bids], lateness_minutes=LATENESS)
    assert alert["subject"] == {"kind": "tender", "id": ocid(1)}
    assert (alert["measured_value"], alert["threshold"], alert["comparison"]) == ("3", "2", ">=")
    assert alert["details"]["shared"] == {"6222000055556666": sorted([ORG_A, ORG_B, ORG_C])}
    assert alert["event_time"] == "2026-03-21T09:00:00+08:00"
