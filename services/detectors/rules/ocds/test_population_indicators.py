"""Streaming R024, R025, R038, R048, R058: Cardinal's population logic per district and window."""

from __future__ import annotations

from services.detectors.rules.ocds.fixtures import ITEM, award, bid, ocid, tender
from services.detectors.rules.ocds.r024_price_close_to_winning_bid import RULE as R024
from services.detectors.rules.ocds.r025_excessive_unsuccessful_bids import RULE as R025
from services.detectors.rules.ocds.r038_excessive_disqualified_bids import RULE as R038
from services.detectors.rules.ocds.r048_heterogeneous_supplier import RULE as R048
from services.detectors.rules.ocds.r058_heavily_discounted_bid import RULE as R058
from services.detectors.testing import (
    DISTRICT,
    ORG_A,
    ORG_B,
    ORG_C,
    SCHOOL,
    assert_order_independent,
    run,
)

LATENESS = 60 * 24 * 120


def priced(
    number: int, winner: int, runner_up: int, *, decided: str = "2026-03-25T09:00:00+08:00"
) -> list[dict]:
    return [
        tender(number),
        bid(number, ORG_A, winner),
        bid(number, ORG_B, runner_up),
        award(number, at=decided),
    ]


def quarter_of_prices(*extra: list[dict]) -> list[dict]:
    events = [
        e for n, d in enumerate([5, 5, 5, 6, 7, 7, 7], start=10) for e in priced(n, 100, 100 + d)
    ]
    return events + [e for group in extra for e in group]


def test_r024_alert_carries_the_windows_fences():
    [alert] = assert_order_independent(
        R024, quarter_of_prices(priced(1, 100, 101)), lateness_minutes=LATENESS
    )
    assert alert["subject"] == {"kind": "tender", "id": ocid(1)}
    assert (alert["measured_value"], alert["threshold"], alert["comparison"]) == (
        "0.01",
        "0.02",
        "<=",
    )
    assert alert["details"]["meta"] == {"q1": 0.05, "q3": 0.07, "lower_fence": 0.02}
    assert alert["details"]["population"] == 8
    assert alert["window"] == {
        "start": "2026-01-01T00:00:00+08:00",
        "end": "2026-04-01T00:00:00+08:00",
    }
    assert (alert["school_id"], alert["district_id"]) == (SCHOOL, DISTRICT)


def test_r024_boundary_at_a_configured_threshold_is_flagged_and_above_it_is_not():
    flagged = run(R024, quarter_of_prices(priced(1, 100, 102)), threshold="0.02")
    assert [a["measured_value"] for a in flagged] == ["0.02"]
    assert run(R024, quarter_of_prices(priced(1, 100, 103)), threshold="0.02") == []


def test_r024_processes_of_another_window_are_a_separate_population():
    later = priced(1, 100, 101, decided="2026-04-02T09:00:00+08:00")
    [alert] = run(R024, quarter_of_prices(later))
    assert alert["window"]["start"] == "2026-04-01T00:00:00+08:00"
    assert alert["details"]["population"] == 1


def test_r024_window_is_final_only_after_the_lateness():
    events = quarter_of_prices(priced(1, 100, 101))
    assert run(R024, events, flush=False) == []
    assert len(run(R024, events + [tender(99, at="2026-04-01T01:00:00+08:00")], flush=False)) == 1


def test_r058_flags_the_deep_discount():
    [alert] = run(R058, quarter_of_prices(priced(1, 100, 150)))
    assert (alert["measured_value"], alert["comparison"]) == ("0.5", ">=")
    assert alert["details"]["meta"]["upper_fence"] == 0.1


def test_r025_frequent_loser_is_a_vendor_alert_without_a_school():
    events = [tender(0), bid(0, ORG_C, 100), award(0, ORG_C)]
    for n, winner in enumerate(
        [
            "91500102MA5U0000W1",
            "91500102MA5U0000W2",
            "91500102MA5U0000W3",
            "91500102MA5U0000W4",
            "91500102MA5U0000W5",
        ],
        start=1,
    ):
        events += [tender(n), bid(n, ORG_C, 100), bid(n, winner, 90), award(n, winner)]
    [alert] = assert_order_independent(R025, events, lateness_minutes=LATENESS)
    assert alert["subject"] == {"kind": "vendor", "id": ORG_C}
    assert alert["school_id"] is None
    assert alert["measured_value"] == "0.166667"


def test_r038_buyer_alert_names_the_school():
    events = [tender(0), bid(0, ORG_A, 100), bid(0, ORG_B, 90, status="disqualified"), award(0)]
    for n in range(1, 5):
        events += [
            tender(n, school=f"50010200{n}0"),
            bid(n, ORG_A, 100, school=f"50010200{n}0"),
            award(n, school=f"50010200{n}0"),
        ]
    alerts = run(R038, events, minimum_contracting_processes=1)
    buyer = [a for a in alerts if a["details"]["cardinal_group"] == "Buyer"]
    assert [(a["subject"], a["school_id"]) for a in buyer] == [
        ({"kind": "school", "id": SCHOOL}, SCHOOL)
    ]


def test_r048_heterogeneous_supplier():
    other = {
        "id": "2",
        "description": "大米",
        "classification": {"scheme": "政府采购品目分类目录", "id": "B01010101"},
    }
    events = [tender(0), award(0, ORG_C, items=(ITEM, other))]
    for n, supplier in enumerate(
        [ORG_A, ORG_B, "91500102MA5U0000W1", "91500102MA5U0000W2"], start=1
    ):
        events += [tender(n), award(n, supplier)]
    [alert] = run(R048, events, minimum_contracting_processes=1, digits=1)
    assert (alert["subject"]["id"], alert["measured_value"]) == (ORG_C, "2")
