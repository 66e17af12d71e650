"""Dates of a process's steps, in working days, without asking the holiday calendar beyond the scenario."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.ingest.simulator.calendar import is_workday
from services.ingest.simulator.context import moment


class Clock:
    """Working-day arithmetic up to ``horizon`` (the scenario's end); later steps are never emitted,
    so past it any day will do and the calendar, which only knows published years, is not consulted."""

    def __init__(self, horizon: date) -> None:
        self.horizon = horizon

    def workdays_after(self, day: date, count: int) -> date:
        current = day
        while count > 0:
            current += timedelta(days=1)
            if current >= self.horizon or is_workday(current):
                count -= 1
        return current

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return moment(day, time(hour, minute))
