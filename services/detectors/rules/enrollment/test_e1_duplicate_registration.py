from __future__ import annotations

from services.detectors.rules.enrollment.e1_duplicate_registration import RULE
from services.detectors.rules.enrollment.fixtures import (
    id_number,
    registration,
    transfer,
    withdrawal,
)
from services.detectors.testing import OTHER_SCHOOL, SCHOOL, assert_order_independent, run

LATENESS = 60 * 24 * 30


def test_two_open_registrations_of_one_person_are_a_duplicate():
    events = [
        registration(1),
        registration(2, school=OTHER_SCHOOL, person=1, at="2026-09-05T09:00:00+08:00"),
    ]
    [alert] = assert_order_independent(RULE, events, lateness_minutes=LATENESS)
    assert (alert["school_id"], alert["subject"]) == (
        OTHER_SCHOOL,
        {"kind": "student", "id": id_number(1)},
    )
    assert alert["details"]["schools"] == [SCHOOL, OTHER_SCHOOL]
    assert alert["event_time"] == "2026-09-05T09:00:00+08:00"


def test_different_people_are_not_duplicates():
    assert run(RULE, [registration(1), registration(2, school=OTHER_SCHOOL)]) == []


def test_a_transfer_within_the_grace_period_is_not_a_duplicate_whoever_sends_it():
    moved = transfer(
        1,
        at="2026-09-08T09:00:00+08:00",
        from_school=SCHOOL,
        to_school=OTHER_SCHOOL,
        school=OTHER_SCHOOL,
    )
    events = [
        registration(1),
        registration(2, school=OTHER_SCHOOL, person=1, at="2026-09-05T09:00:00+08:00"),
        moved,
    ]
    assert assert_order_independent(RULE, events, lateness_minutes=LATENESS) == []


def test_a_transfer_after_the_grace_period_is_too_late():
    moved = transfer(1, at="2026-09-20T09:00:00+08:00", from_school=SCHOOL, to_school=OTHER_SCHOOL)
    events = [
        registration(1),
        registration(2, school=OTHER_SCHOOL, person=1, at="2026-09-05T09:00:00+08:00"),
        moved,
    ]
    assert len(run(RULE, events)) == 1


def test_withdrawal_before_the_second_registration_clears_it():
    events = [
        registration(1),
        withdrawal(1, at="2026-09-03T09:00:00+08:00"),
        registration(2, school=OTHER_SCHOOL, person=1, at="2026-09-05T09:00:00+08:00"),
    ]
    assert run(RULE, events) == []


def test_boundary_ending_exactly_at_the_grace_period_is_not_a_duplicate():
    ended = withdrawal(1, at="2026-09-12T00:00:00+08:00")
    events = [
        registration(1),
        registration(2, school=OTHER_SCHOOL, person=1, at="2026-09-05T00:00:00+08:00"),
        ended,
    ]
    assert run(RULE, events) == []
