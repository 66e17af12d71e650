"""Per-stage deadlines in working days on the official calendar (工作日, including make-up workdays 调休).

A stage entered on day D with N working days is due at the end of the N-th
working day after D: the day the stage starts is not counted, as in Chinese
administrative time limits (期间开始的当日不计算在期间内). Deadlines are instants at
local midnight, so "overdue" is simply ``now >= deadline``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

from services.alerting.domain.alerts import Severity
from services.alerting.domain.workflow import CaseState


class WorkdayCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


def _days(red: int, orange: int, yellow: int) -> Mapping[Severity, int]:
    return MappingProxyType({Severity.RED: red, Severity.ORANGE: orange, Severity.YELLOW: yellow})


# Red cases move fastest. Terminal states have no deadline.
DEFAULT_STAGE_WORKING_DAYS: Mapping[CaseState, Mapping[Severity, int]] = MappingProxyType(
    {
        CaseState.NEW: _days(1, 2, 3),
        CaseState.ASSIGNED: _days(1, 2, 3),
        CaseState.INVESTIGATING: _days(5, 10, 15),
        CaseState.RECTIFYING: _days(10, 20, 30),
        CaseState.UNDER_REVIEW: _days(3, 5, 5),
    }
)


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    stage_working_days: Mapping[CaseState, Mapping[Severity, int]] = field(
        default_factory=lambda: DEFAULT_STAGE_WORKING_DAYS
    )
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def working_days(self, state: CaseState, severity: Severity) -> int | None:
        by_severity = self.stage_working_days.get(state)
        return None if by_severity is None else by_severity[severity]


def add_working_days(
    start: datetime, working_days: int, calendar: WorkdayCalendar, timezone: tzinfo
) -> datetime:
    """The end (next local midnight) of the ``working_days``-th working day after ``start``'s local date."""
    day = start.astimezone(timezone).date()
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=timezone)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The deadline policy bound to a calendar: what the case needs to date its stages."""

    policy: DeadlinePolicy
    calendar: WorkdayCalendar

    def for_stage(
        self, state: CaseState, severity: Severity, entered_at: datetime
    ) -> datetime | None:
        days = self.policy.working_days(state, severity)
        if days is None:
            return None
        return add_working_days(entered_at, days, self.calendar, self.policy.timezone)

    def is_workday(self, moment: datetime) -> bool:
        return self.calendar.is_workday(moment.astimezone(self.policy.timezone).date())
