"""Deadlines in working days on the official calendar, across the 2026 National Day holiday.

What chinesecalendar says about autumn 2026 (checked below so a package update
that changes it fails loudly): Mid-Autumn 25–27 September, National Day 1–7
October, make-up workdays Sunday 20 September and Saturday 10 October.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.alerting.adapters.calendar import ChineseWorkdayCalendar
from services.alerting.domain.alerts import Severity
from services.alerting.domain.deadlines import DeadlinePolicy, Deadlines, add_working_days
from services.alerting.domain.workflow import CaseState
from services.alerting.errors import CalendarNotCovered
from services.alerting.testing import SHANGHAI

CALENDAR = ChineseWorkdayCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_calendar_knows_the_2026_national_day_holiday_and_its_make_up_days() -> None:
    assert [CALENDAR.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert CALENDAR.is_workday(date(2026, 10, 10)), "Saturday 10 October is a make-up workday"
    assert CALENDAR.is_workday(date(2026, 9, 20)), "Sunday 20 September is a make-up workday"
    assert not CALENDAR.is_workday(date(2026, 10, 11))


@pytest.mark.parametrize(
    ("start", "working_days", "due"),
    [
        # Tuesday 29 Sept + 1: Wednesday 30 Sept, due at its end.
        ("2026-09-29T15:00:00+08:00", 1, "2026-10-01T00:00:00+08:00"),
        # Wednesday 30 Sept + 1: the whole holiday is skipped, Thursday 8 Oct.
        ("2026-09-30T09:00:00+08:00", 1, "2026-10-09T00:00:00+08:00"),
        # Wednesday 30 Sept + 3: 8 Oct, 9 Oct, then the make-up Saturday 10 Oct.
        ("2026-09-30T09:00:00+08:00", 3, "2026-10-11T00:00:00+08:00"),
        # Starting on a holiday: 8, 9, 10 (Sat, make-up), 12 (Mon); Sunday 11 is a rest day.
        ("2026-10-03T11:00:00+08:00", 4, "2026-10-13T00:00:00+08:00"),
        # Friday 18 Sept + 2: the make-up Sunday 20 Sept counts, Saturday 19 does not.
        ("2026-09-18T10:00:00+08:00", 2, "2026-09-22T00:00:00+08:00"),
        # Across Mid-Autumn (25–27 Sept): Thu 24 + 2 = Mon 28, Tue 29.
        ("2026-09-24T10:00:00+08:00", 2, "2026-09-30T00:00:00+08:00"),
        # Zero days: due at the end of the start day.
        ("2026-10-04T10:00:00+08:00", 0, "2026-10-05T00:00:00+08:00"),
    ],
)
def test_working_days_are_counted_from_the_day_after_the_start(
    start: str, working_days: int, due: str
) -> None:
    assert add_working_days(at(start), working_days, CALENDAR, SHANGHAI) == at(due)


def test_the_local_date_decides_not_the_utc_one() -> None:
    # 30 Sept 17:00 UTC is already 1 October 01:00 in Shanghai: a holiday.
    start = at("2026-09-30T17:00:00+00:00")
    assert add_working_days(start, 1, CALENDAR, SHANGHAI) == at("2026-10-09T00:00:00+08:00")


def test_each_stage_and_severity_has_its_configured_deadline() -> None:
    policy = DeadlinePolicy(
        stage_working_days={
            CaseState.INVESTIGATING: {Severity.RED: 2, Severity.ORANGE: 5, Severity.YELLOW: 9}
        }
    )
    deadlines = Deadlines(policy, CALENDAR)
    entered = at("2026-09-30T09:00:00+08:00")
    assert deadlines.for_stage(CaseState.INVESTIGATING, Severity.RED, entered) == at(
        "2026-10-10T00:00:00+08:00"
    )
    assert deadlines.for_stage(CaseState.INVESTIGATING, Severity.ORANGE, entered) == at(
        "2026-10-14T00:00:00+08:00"
    )
    assert deadlines.for_stage(CaseState.RECTIFYING, Severity.RED, entered) is None, (
        "stage without a deadline"
    )


def test_terminal_states_have_no_deadline() -> None:
    deadlines = Deadlines(DeadlinePolicy(), CALENDAR)
    for state in (CaseState.CLOSED, CaseState.DISMISSED, CaseState.TRANSFERRED):
        assert deadlines.for_stage(state, Severity.RED, at("2026-09-30T09:00:00+08:00")) is None


def test_a_year_the_calendar_does_not_cover_is_a_clear_error() -> None:
    with pytest.raises(CalendarNotCovered, match="2099"):
        CALENDAR.is_workday(date(2099, 3, 2))
