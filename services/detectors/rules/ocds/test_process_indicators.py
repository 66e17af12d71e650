"""Streaming R028, R030, R035, R036: Cardinal's per-process logic on releases built from events."""

from __future__ import annotations

import pytest

from services.detectors.rules.ocds.fixtures import award, bid, ocid, tender
from services.detectors.rules.ocds.r028_identical_bid_prices import RULE as R028
from services.detectors.rules.ocds.r030_late_bid_won import RULE as R030
from services.detectors.rules.ocds.r035_all_except_winning_bid_disqualified import RULE as R035
from services.detectors.rules.ocds.r036_lowest_bid_disqualified import RULE as R036
from services.detectors.testing import ORG_A, ORG_B, ORG_C, assert_order_independent, run

LATENESS = 60 * 24 * 30  # the whole process fits in it, so any arrival order is "within lateness"

CASES = {
    "R028 identical prices": (
        R028,
        [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 100), award(1)],
        "1",
    ),
    "R028 different prices": (
        R028,
        [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 101), award(1)],
        None,
    ),
    "R030 winner bid late": (
        R030,
        [
            tender(1),
            bid(1, ORG_A, 100, at="2026-03-21T09:00:01+08:00"),
            bid(1, ORG_B, 101),
            award(1),
        ],
        "1",
    ),
    "R030 boundary: at the deadline": (
        R030,
        [tender(1), bid(1, ORG_A, 100, at="2026-03-21T09:00:00+08:00"), award(1)],
        None,
    ),
    "R035 others disqualified": (
        R035,
        [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 90, status="disqualified"), award(1)],
        "1",
    ),
    "R035 another valid bid": (
        R035,
        [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 90), award(1)],
        None,
    ),
    "R036 lowest disqualified": (
        R036,
        [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 90, status="disqualified"), award(1)],
        "1",
    ),
    "R036 lowest valid": (
        R036,
        [tender(1), bid(1, ORG_A, 90), bid(1, ORG_B, 100, status="disqualified"), award(1)],
        None,
    ),
}


@pytest.mark.parametrize(("rule", "events", "expected"), CASES.values(), ids=CASES.keys())
def test_indicator_on_the_assembled_process(rule, events, expected):
    alerts = assert_order_independent(rule, events, lateness_minutes=LATENESS)
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_alert_names_the_tender_and_carries_cardinals_values():
    events = [
        tender(1),
        bid(1, ORG_A, 100),
        bid(1, ORG_B, 90, status="disqualified"),
        bid(1, ORG_C, 95, status="disqualified"),
        award(1),
    ]
    [alert] = run(R035, events)
    assert alert["subject"] == {"kind": "tender", "id": ocid(1)}
    assert (alert["measured_value"], alert["threshold"], alert["comparison"]) == ("2", "1", ">=")
    assert alert["details"] == {"cardinal": {"R035": 2.0}, "tenderers": [ORG_A]}
    assert sorted(alert["evidence_event_ids"]) == sorted(e["id"] for e in events)
    assert alert["event_time"] == "2026-03-25T09:00:00+08:00"


def test_nothing_is_judged_before_an_award_is_decided():
    events = [tender(1), bid(1, ORG_A, 100), bid(1, ORG_B, 100), award(1, status="pending")]
    assert run(R028, events) == []


def test_a_bid_status_change_within_the_lateness_is_seen():
    """The bid is first recorded valid, then disqualified (a newer version of the same bid)."""
    events = [
        tender(1),
        bid(1, ORG_A, 100),
        bid(1, ORG_B, 90, bid_id="B-X"),
        award(1),
        bid(1, ORG_B, 90, status="disqualified", bid_id="B-X", at="2026-03-25T09:10:00+08:00"),
    ]
    assert len(run(R036, events)) == 1


def test_cancelled_tenders_are_excluded():
    events = [
        tender(1, status="cancelled", at="2026-03-02T09:00:00+08:00"),
        bid(1, ORG_A, 100),
        bid(1, ORG_B, 100),
        award(1),
    ]
    assert run(R028, events) == []
