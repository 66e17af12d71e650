from __future__ import annotations

import pytest

from services.detectors.rules.enrollment.fixtures import registration, student_id, withdrawal
from services.detectors.rules.finance.f6_student_aid import RULE
from services.detectors.rules.finance.fixtures import aid
from services.detectors.testing import assert_order_independent, run

STUDENT = student_id(1)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([registration(1), aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00")], []),
        ([aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00")], ["not_enrolled"]),
        (
            [
                registration(1),
                withdrawal(1, at="2026-10-01T09:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            ["not_enrolled"],
        ),
        (
            [
                registration(1),
                withdrawal(1, at="2026-10-11T09:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                registration(1, at="2026-10-10T10:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                registration(1),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
                aid("D2", STUDENT, at="2026-11-10T10:00:00+08:00"),
            ],
            ["duplicate"],
        ),
        (
            [
                registration(1),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
                aid("D2", STUDENT, at="2026-11-10T10:00:00+08:00", category="national_grant"),
            ],
            [],
        ),
    ],
    ids=[
        "enrolled",
        "never registered",
        "withdrawn before",
        "withdrawn after",
        "boundary: paid at registration",
        "twice in a term",
        "two categories",
    ],
)
def test_aid_to_enrolled_students_once_per_term(events, expected):
    assert [a["details"]["finding"] for a in run(RULE, events)] == expected


def test_order_does_not_matter_within_the_lateness():
    events = [
        registration(1),
        aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
        aid("D2", STUDENT, at="2026-10-12T10:00:00+08:00"),
    ]
    [alert] = assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 60)
    assert alert["subject"] == {"kind": "student", "id": STUDENT}
    assert alert["evidence_event_ids"] == ["aid-D1", "aid-D2"]
