"""Working days from the maintained ``chinesecalendar`` package (official holidays and make-up workdays)."""

from __future__ import annotations

from datetime import date
from functools import cache

import chinese_calendar

from services.alerting.errors import CalendarNotCovered


class ChineseWorkdayCalendar:
    def is_workday(self, day: date) -> bool:
        return _is_workday(day)


@cache
def _is_workday(day: date) -> bool:
    """Cached: every deadline walks the same few weeks of days, and the package's lookup is slow."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarNotCovered(
            f"工作日历 chinesecalendar {chinese_calendar.__version__} 不含 {day.year} 年的节假日安排，请升级该包 / "
            f"chinesecalendar {chinese_calendar.__version__} does not know {day.year}'s holidays; upgrade it"
        ) from exc
