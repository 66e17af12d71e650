"""The school calendar: official holidays and make-up workdays (调休), terms and school days.

Working days come from the ``chinese_calendar`` package, which knows each year's
State Council holiday notice, so a make-up Sunday such as 2025-09-28 is a
working and a school day, and 1–8 October 2025 are not. Terms follow the
contracts' labels: "2025-2026-1" is the autumn term, "2025-2026-2" the spring term.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import chinese_calendar

from services.ingest.simulator.errors import ScenarioError

AUTUMN_TERM = ((9, 1), (1, 20))  # (month, day) of the first and last day
SPRING_TERM = ((2, 24), (7, 5))


@dataclass(frozen=True, slots=True)
class Term:
    label: str
    first_day: date
    last_day: date

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@functools.cache
def term_of(day: date) -> Term | None:
    """The term that ``day`` falls in, or None during the summer and winter holidays."""
    school_year = day.year if day.month >= 8 else day.year - 1
    autumn = Term(
        f"{school_year}-{school_year + 1}-1",
        date(school_year, *AUTUMN_TERM[0]),
        date(school_year + 1, *AUTUMN_TERM[1]),
    )
    spring = Term(
        f"{school_year}-{school_year + 1}-2",
        date(school_year + 1, *SPRING_TERM[0]),
        date(school_year + 1, *SPRING_TERM[1]),
    )
    return next((term for term in (autumn, spring) if day in term), None)


def school_year_of(day: date) -> int:
    """The calendar year in which the school year containing ``day`` began (September)."""
    return day.year if day.month >= 8 else day.year - 1


@functools.cache
def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise ScenarioError(
            f"节假日数据不支持 {day.year} 年 / the holiday calendar does not cover {day}; "
            "choose --start so that the scenario lies within the years chinese_calendar knows"
        ) from exc


@functools.cache
def is_school_day(day: date) -> bool:
    return term_of(day) is not None and is_workday(day)


def check_supported(first: date, last: date) -> None:
    """Refuse a scenario whose dates the holiday calendar cannot answer for."""
    is_workday(first)
    is_workday(last)
