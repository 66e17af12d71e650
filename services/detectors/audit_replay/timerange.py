"""The audited range: what the auditor asked for, and what replay must read to answer it.

The range ``[start, end)`` is in event time: an alert is compared when its
``event_time`` falls inside it. Raw records are found by their Kafka timestamp
(``offsets_for_times``), which for a live stream is the moment ingest published
the event, at or shortly after its event time. Reading therefore starts
``warmup`` before ``start``, so that windows and joins straddling the start see
their earlier events, and by default runs to the end of the topics, so that
every record the live detectors had seen when they raised an alert for the
range (late events, the events that moved the watermark past a window) is
replayed too; records backfilled long after their event time are found that way
as well. ``grace`` bounds the read at ``end + grace`` instead, for a range far in
the past of a large topic, at the price of missing what arrived later than that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.detectors.audit_replay.errors import ReplayRequestError
from services.detectors.core.eventtime import format_time

DURATION = re.compile(r"^\s*(\d+)\s*([wdhm]?)\s*$")
DURATION_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "": "days"}


@dataclass(frozen=True, slots=True)
class AuditRange:
    start: datetime
    end: datetime
    warmup: timedelta
    grace: timedelta | None = None
    """None: read the raw topics to their end."""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ReplayRequestError(
                f"回放区间为空 / --to {format_time(self.end)} must be after --from {format_time(self.start)}"
            )

    @property
    def read_start(self) -> datetime:
        return self.start - self.warmup

    @property
    def read_end(self) -> datetime | None:
        return None if self.grace is None else self.end + self.grace

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def to_json(self) -> dict[str, Any]:
        return {
            "from": format_time(self.start),
            "to": format_time(self.end),
            "warmup_hours": self.warmup.total_seconds() / 3600,
            "grace_hours": None if self.grace is None else self.grace.total_seconds() / 3600,
            "read_from": format_time(self.read_start),
            "read_to": None if self.read_end is None else format_time(self.read_end),
        }


def parse_duration(text: str, *, option: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` or a bare number of days."""
    match = DURATION.match(text)
    if match is None:
        raise ReplayRequestError(
            f"{option} {text!r}: 时长格式错误 / not a duration; use a whole number with w, d, h or m, e.g. 30d"
        )
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})
