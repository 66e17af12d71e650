"""Time buckets for the report's charts: hours, days, weeks or months in China time.

The bucket size follows the range's length so that a chart has between a
handful and about sixty bars; the first and last buckets are cut at the range's
edges.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.eventtime import CHINA_TZ, local_date, parse_time, start_of

HOURLY_UP_TO = timedelta(days=2)
DAILY_UP_TO = timedelta(days=62)
WEEKLY_UP_TO = timedelta(days=420)


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    end: datetime
    label: str


def time_buckets(audit_range: AuditRange) -> tuple[Bucket, ...]:
    span = audit_range.end - audit_range.start
    if span <= HOURLY_UP_TO:
        step, label = _next_hour, "%m-%d %H:00"
    elif span <= DAILY_UP_TO:
        step, label = _next_day, "%m-%d"
    elif span <= WEEKLY_UP_TO:
        step, label = _next_monday, "%Y-%m-%d"
    else:
        step, label = _next_month, "%Y-%m"
    buckets = []
    start = audit_range.start
    while start < audit_range.end:
        end = min(step(start), audit_range.end)
        buckets.append(Bucket(start, end, start.astimezone(CHINA_TZ).strftime(label)))
        start = end
    return tuple(buckets)


def bucket_counts(event_times: Iterable[str], buckets: tuple[Bucket, ...]) -> tuple[int, ...]:
    """How many of the times (ISO strings) fall in each bucket; times outside every bucket are left out."""
    starts = [bucket.start for bucket in buckets]
    counts = [0] * len(buckets)
    for text in event_times:
        moment = parse_time(text)
        index = bisect.bisect_right(starts, moment) - 1
        if index >= 0 and moment < buckets[index].end:
            counts[index] += 1
    return tuple(counts)


def _next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _next_day(moment: datetime) -> datetime:
    return start_of(local_date(moment) + timedelta(days=1))


def _next_monday(moment: datetime) -> datetime:
    day = local_date(moment)
    return start_of(day + timedelta(days=7 - day.weekday()))


def _next_month(moment: datetime) -> datetime:
    day = local_date(moment)
    return start_of((day.replace(day=1) + timedelta(days=32)).replace(day=1))
