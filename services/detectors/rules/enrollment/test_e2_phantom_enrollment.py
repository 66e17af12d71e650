from __future__ import annotations

import pytest

from services.detectors.core.engine import Engine
from services.detectors.core.pages import shard_of
from services.detectors.rules.enrollment.e2_phantom_enrollment import RULE, SEEN, STUDENT_PAGES
from services.detectors.rules.enrollment.fixtures import (
    attendance,
    registration,
    student_id,
    withdrawal,
)
from services.detectors.testing import (
    DETECTED_AT,
    SCHOOL,
    JsonRoundTripStore,
    assert_order_independent,
    rule_set,
    run,
)

SCHOOL_DAYS = [f"2026-09-{d:02d}" for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16)]


def term(sheets_for_student_2: int, *, absent_reason_days: int = 0) -> list[dict]:
    """Student 1 attends every day; student 2 attends the first N days."""
    events = [
        registration(1, at="2026-08-31T09:00:00+08:00"),
        registration(2, at="2026-08-31T09:00:00+08:00"),
    ]
    for index, day in enumerate(SCHOOL_DAYS):
        present = [1, 2] if index < sheets_for_student_2 else [1]
        events.append(attendance(f"S-{day}", day, present))
    return events


@pytest.mark.parametrize(
    ("attended_days", "fires"),
    [(2, True), (3, False), (12, False)],
    ids=["ten school days missed", "boundary: nine missed", "always there"],
)
def test_phantom_after_n_school_days(attended_days, fires):
    alerts = run(RULE, term(attended_days))
    assert [a["subject"]["id"] for a in alerts] == ([student_id(2)] if fires else [])


def test_alert_window_and_order_independence():
    [alert] = assert_order_independent(RULE, term(2), lateness_minutes=60 * 24 * 20)
    assert alert["window"] == {
        "start": "2026-09-03T00:00:00+08:00",
        "end": "2026-09-17T00:00:00+08:00",
    }
    assert (alert["measured_value"], alert["threshold"]) == ("10", "10")


def test_canteen_swipes_and_excused_absences_count_as_activity():
    events = term(2)
    events.append(attendance("SWIPE", "2026-09-08", [2], kind="canteen_swipe"))
    assert run(RULE, events) == []
    excused = term(2) + [attendance("SICK", "2026-09-08", [1], absent=[2])]
    assert run(RULE, excused) == []


def test_withdrawn_students_are_not_tracked():
    assert run(RULE, term(2) + [withdrawal(2, at="2026-09-05T09:00:00+08:00")]) == []


def test_days_without_class_attendance_are_not_school_days():
    events = term(2)[:-2]  # up to 2026-09-14: eight missed school days
    events.append(attendance("SAT", "2026-09-12", [1], kind="dormitory_checkin"))
    assert run(RULE, events) == []


def test_a_day_is_judged_on_the_activity_up_to_that_day():
    # Student 2 is back on 09-17, but had missed ten school days by 09-16: whether the
    # 09-17 sheet arrives before 09-16 is judged (a long lateness) or after, it fires.
    back = attendance("S-2026-09-17", "2026-09-17", [1, 2])
    for lateness in (60, 60 * 24 * 20):
        [alert] = run(RULE, [*term(2), back], lateness_minutes=lateness)
        assert alert["window"]["end"] == "2026-09-17T00:00:00+08:00"


def test_a_sheet_later_than_the_allowed_lateness_still_counts_as_activity():
    events = term(2)
    late = attendance("LATE", "2026-09-03", [2])  # arrives once 09-08 was judged
    assert run(RULE, [*events[:9], late, *events[9:]]) == []
    assert run(RULE, events) != []


def test_activity_of_a_school_without_class_attendance_is_not_kept_apart_for_ever():
    engine = Engine(rule_set(RULE, lateness_minutes=60), JsonRoundTripStore())
    for day in SCHOOL_DAYS:
        swipe = attendance(f"SW-{day}", day, [1], kind="canteen_swipe")
        engine.process(swipe, detected_at=DETECTED_AT)
    pages = {
        key.split("#", 1)[1]: entry["state"]
        for _, key, entry in engine.store.items()
        if key.startswith(f"{SCHOOL}|attendance#")
    }
    assert [name for name in pages if name.startswith(SEEN)] == [
        f"{SEEN}2026-09-16/att-SW-2026-09-16"  # the last day has not ended yet
    ]
    [students] = [page for name, page in pages.items() if not name.startswith(SEEN)]
    assert students[student_id(1)]["last"] == "2026-09-15"


class PageWrites(JsonRoundTripStore):
    """Counts the writes of each page of the school's attendance key."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: dict[str, int] = {}

    def put(self, rule_id, key, value, encoded):
        super().put(rule_id, key, value, encoded)
        page = key.partition("#")[2]
        if page and not page.startswith(SEEN):
            self.writes[page] = self.writes.get(page, 0) + 1


def test_the_page_of_a_student_who_keeps_coming_is_not_rewritten_every_day():
    store = PageWrites()
    engine = Engine(rule_set(RULE, lateness_minutes=60), store)
    for item in term(6):  # student 2 stops coming after six school days
        engine.process(item, detected_at=DETECTED_AT)
    regular, absent = (shard_of(student_id(n), STUDENT_PAGES) for n in (1, 2))
    assert regular != absent
    # written when the student was registered, and never again
    assert store.writes[regular] == 1
    # registered, and once more when its run of missed days began
    assert store.writes[absent] == 2
    [students] = [entry["state"] for _, key, entry in store.items() if key.endswith(f"#{absent}")]
    assert students[student_id(2)]["last"] == SCHOOL_DAYS[5]
    assert "last" not in next(
        entry["state"][student_id(1)]
        for _, key, entry in store.items()
        if key.endswith(f"#{regular}")
    )


def test_the_alert_names_the_last_day_the_student_was_seen():
    [alert] = run(RULE, term(2))
    assert alert["details"]["last_seen"] == SCHOOL_DAYS[1]
    assert alert["details"]["registered"] == "2026-08-31"


def test_a_registration_arriving_late_counts_the_days_missed_since_the_registration_date():
    # Student 2, registered on 08-31, is only reported on 09-09, and never comes.
    events = term(0)
    late = registration(2, at="2026-08-31T09:00:00+08:00")
    events.remove(late)
    events.insert(9, late)
    [alert] = run(RULE, events)
    assert alert["details"]["last_seen"] is None
    assert alert["window"] == {
        "start": "2026-09-01T00:00:00+08:00",
        "end": "2026-09-15T00:00:00+08:00",
    }


def test_activity_before_the_registration_is_the_last_day_seen():
    events = term(0)
    early = registration(2, at="2026-09-03T09:00:00+08:00")
    events.remove(registration(2, at="2026-08-31T09:00:00+08:00"))
    events.insert(3, attendance("S-2", SCHOOL_DAYS[0], [1, 2], kind="canteen_swipe"))
    events.insert(6, early)  # after 09-01 was judged: registered after the day it was seen on
    [alert] = run(RULE, events)
    assert alert["details"]["last_seen"] == SCHOOL_DAYS[0]
    assert alert["window"]["start"] == "2026-09-03T00:00:00+08:00"
