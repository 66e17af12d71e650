"""Event time: parsing CloudEvents times and the calendar periods rules aggregate over.

Periods are computed in China Standard Time (UTC+8, no daylight saving), the
time zone of every school system Qinglian reads.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone

from services.detectors.core.model import Event, Window
from services.detectors.errors import TimeTextError

# Rules turn the same few thousand timestamps (days, window ends, timers) back and forth
# between text and datetime many times per event: both conversions are cached.

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


@functools.lru_cache(maxsize=8192)
def parse_time(value: str) -> datetime:
    """An ISO-8601 time with offset; a naive time is a contract violation."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return moment


def parse_moment(text: str, *, option: str, end_of_day: bool = False) -> datetime:
    """A time a person typed (a command's ``option``): RFC 3339, China Standard Time without an
    offset, or a date meaning midnight in Asia/Shanghai; with ``end_of_day`` a date means the
    midnight after it, so ``--to 2026-09-30`` includes the 30th."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        return start_of(day + timedelta(days=1) if end_of_day else day)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise TimeTextError(
            f"{option} {text!r}: 时间格式错误 / not an RFC 3339 time or a date, "
            "e.g. 2026-09-01 or 2026-09-01T08:00:00+08:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def event_time(event: Event) -> datetime:
    return parse_time(event["time"])


@functools.lru_cache(maxsize=8192)
def format_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat()


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA_TZ)


def day_window(day: date) -> Window:
    return Window(start_of(day), start_of(day + timedelta(days=1)))


def month_window(moment: datetime) -> Window:
    day = local_date(moment)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Window(start_of(first), start_of(following))


def fiscal_year_window(year: int) -> Window:
    """China's fiscal year is the calendar year (预算法 第十八条)."""
    return Window(start_of(date(year, 1, 1)), start_of(date(year + 1, 1, 1)))


def term_window(term: str) -> Window:
    """The contracts' term label "2024-2025-1" (autumn: 1 Sep – 1 Feb) or "2024-2025-2"
    (spring: 1 Feb – 1 Sep, the summer holiday included)."""
    first_year, _, number = term.split("-")
    year = int(first_year)
    if number == "1":
        return Window(start_of(date(year, 9, 1)), start_of(date(year + 1, 2, 1)))
    return Window(start_of(date(year + 1, 2, 1)), start_of(date(year + 1, 9, 1)))


def days_after(moment: datetime, days: int) -> datetime:
    """Midnight (China time) ending the ``days``-th calendar day after the moment's date."""
    return start_of(local_date(moment) + timedelta(days=days + 1))


def period_window(moment: datetime, months: int) -> Window:
    """The calendar period of ``months`` months (1, 2, 3, 4, 6 or 12) that contains the moment."""
    if 12 % months:
        raise ValueError(f"a period of {months} months does not divide the year")
    day = local_date(moment)
    first_month = (day.month - 1) // months * months + 1
    end_index = day.year * 12 + first_month - 1 + months
    return Window(
        start_of(date(day.year, first_month, 1)),
        start_of(date(end_index // 12, end_index % 12 + 1, 1)),
    )
