from __future__ import annotations

import pytest

from services.detectors.rules.finance.f11_collective_decision import RULE
from services.detectors.rules.finance.fixtures import meeting, voucher
from services.detectors.testing import assert_order_independent, run

PAID = "2026-09-20T10:00:00+08:00"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([voucher("V-1", 99_999)], []),
        ([voucher("V-1", 100_000)], ["no_meeting"]),
        (
            [
                meeting("M-1", at="2026-09-10T15:00:00+08:00"),
                voucher("V-1", 150_000, meeting_id="M-1"),
            ],
            [],
        ),
        ([voucher("V-1", 150_000, meeting_id="M-1")], ["meeting_missing"]),
        (
            [
                meeting("M-1", at="2026-09-21T15:00:00+08:00"),
                voucher("V-1", 150_000, meeting_id="M-1"),
            ],
            ["held_after_payment"],
        ),
        (
            [
                meeting("M-1", at="2026-09-10T15:00:00+08:00", quorum=False),
                voucher("V-1", 150_000, meeting_id="M-1"),
            ],
            ["no_quorum"],
        ),
        (
            [
                meeting("M-1", at="2026-09-10T15:00:00+08:00", outcome="deferred"),
                voucher("V-1", 150_000, meeting_id="M-1"),
            ],
            ["not_approved"],
        ),
        (
            [
                meeting("M-1", at="2026-09-10T15:00:00+08:00", amount_yuan=120_000),
                voucher("V-1", 150_000, meeting_id="M-1"),
            ],
            ["not_approved"],
        ),
    ],
    ids=[
        "boundary: under 10万",
        "no meeting at 10万",
        "approved before",
        "meeting never recorded",
        "meeting after payment",
        "no quorum",
        "deferred",
        "approved a smaller amount",
    ],
)
def test_large_payments_need_an_approving_meeting(events, expected):
    assert [a["details"]["finding"] for a in run(RULE, events)] == expected


def test_minutes_recorded_late_within_the_lateness_are_taken_into_account():
    minutes = meeting("M-1", at="2026-09-10T15:00:00+08:00")
    minutes["time"] = "2026-09-20T10:30:00+08:00"  # entered half an hour after the payment
    events = [voucher("V-1", 150_000, meeting_id="M-1", at=PAID), minutes]
    assert assert_order_independent(RULE, events) == []


def test_alert_names_the_requester():
    [alert] = run(RULE, [voucher("V-1", 150_000, requester="S-HEAD")])
    assert alert["subject"] == {"kind": "staff", "id": "S-HEAD"}
    assert (alert["measured_value"], alert["threshold"], alert["comparison"]) == (
        "150000",
        "100000",
        ">=",
    )
