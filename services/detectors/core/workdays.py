"""Working days in China: the official holidays and make-up working days
(调休) from the ``chinesecalendar`` package, which is data, not a clock.

Years the package does not cover fall back to Monday–Friday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from services.detectors.core.eventtime import local_date, start_of


def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def end_of_working_days(moment: datetime, days: int) -> datetime:
    """Midnight ending the ``days``-th working day after the moment's date (China time)."""
    day = local_date(moment)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_workday(day)
    return start_of(day + timedelta(days=1))
