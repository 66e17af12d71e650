from __future__ import annotations

import pytest

from services.detectors.rules.ocds.fixtures import award, ocid
from services.detectors.rules.procurement.fixtures import contract
from services.detectors.rules.procurement.p7_deadlines import RULE
from services.detectors.testing import assert_order_independent, run

DECIDED = "2026-09-14T10:00:00+08:00"  # a Monday


def decided(notice: str | None) -> dict:
    return award(1, at=DECIDED, notice=notice)


def signed(at: str, published: str | None) -> dict:
    return contract("C1", 100_000_00, at=at, award_id="A-1", published_at=published)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (
            [
                decided("2026-09-16T18:00:00+08:00"),
                signed("2026-09-20T10:00:00+08:00", "2026-09-21T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                decided("2026-09-17T09:00:00+08:00"),
                signed("2026-09-20T10:00:00+08:00", "2026-09-21T10:00:00+08:00"),
            ],
            [("notice", False)],
        ),
        (
            [decided(None), signed("2026-09-20T10:00:00+08:00", "2026-09-21T10:00:00+08:00")],
            [("notice", True)],
        ),
        (
            [
                decided("2026-09-15T10:00:00+08:00"),
                signed("2026-10-15T23:59:00+08:00", "2026-10-16T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                decided("2026-09-15T10:00:00+08:00"),
                signed("2026-10-16T09:00:00+08:00", "2026-10-16T10:00:00+08:00"),
            ],
            [("signature", False)],
        ),
        ([decided("2026-09-15T10:00:00+08:00")], [("signature", True)]),
        (
            [
                decided("2026-09-15T10:00:00+08:00"),
                signed("2026-09-18T10:00:00+08:00", "2026-09-23T10:00:00+08:00"),
            ],
            [("publication", False)],
        ),
        (
            [decided("2026-09-15T10:00:00+08:00"), signed("2026-09-18T10:00:00+08:00", None)],
            [("publication", True)],
        ),
    ],
    ids=[
        "all on time",
        "notice on the third working day",
        "no notice",
        "boundary: signed on the 30th day",
        "signed on the 31st day",
        "never signed",
        "published on the third working day",
        "never published",
    ],
)
def test_p7_deadlines(events, expected):
    alerts = run(RULE, events)
    assert [(a["details"]["step"], a["details"]["missing"]) for a in alerts] == expected


def test_working_days_skip_the_national_day_holiday():
    before_holiday = award(1, at="2026-09-30T10:00:00+08:00", notice="2026-10-09T17:00:00+08:00")
    on_time = contract(
        "C1",
        100_000_00,
        at="2026-10-12T10:00:00+08:00",
        award_id="A-1",
        published_at="2026-10-12T11:00:00+08:00",
    )
    assert run(RULE, [before_holiday, on_time]) == []


def test_notice_published_by_a_later_award_update_within_the_lateness():
    first = award(1, at=DECIDED, notice=None)
    update = award(1, at=DECIDED, notice="2026-09-15T10:00:00+08:00", event_id="award-1-noticed")
    update["time"] = "2026-09-15T10:00:00+08:00"
    events = [first, update, signed("2026-09-20T10:00:00+08:00", "2026-09-21T10:00:00+08:00")]
    assert assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 8) == []


def test_alert_subjects_and_deadline_details():
    [notice, publication] = run(RULE, [decided(None), signed("2026-09-18T10:00:00+08:00", None)])
    assert notice["subject"] == {"kind": "tender", "id": ocid(1)}
    assert notice["details"]["deadline"] == "2026-09-17T00:00:00+08:00"
    assert (notice["comparison"], notice["event_time"]) == (">=", "2026-09-17T00:00:00+08:00")
    assert publication["subject"] == {"kind": "contract", "id": "C1"}
