"""One school on one day: what an activity needs to plan its events."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from services.ingest.simulator.calendar import Term, is_school_day, is_workday, term_of
from services.ingest.simulator.district import District
from services.ingest.simulator.injections import Injection
from services.ingest.simulator.model import School

if TYPE_CHECKING:
    from services.ingest.simulator.anomalies import AnomalyPlan
    from services.ingest.simulator.procurement.market import Market
from services.ingest.simulator.schedule import Schedule
from services.ingest.simulator.state import SchoolState

CHINA = timezone(timedelta(hours=8))


def moment(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, CHINA)


@dataclass(slots=True)
class SchoolDay:
    district: District
    school: School
    day: date
    rng: random.Random
    schedule: Schedule
    state: SchoolState
    injections: tuple[Injection, ...]
    market: Market
    anomalies: AnomalyPlan

    @property
    def seed(self) -> int:
        return self.district.scenario.seed

    @property
    def in_scenario(self) -> bool:
        """False during the procurement lead-in, when only the procurement platform is running."""
        return self.day >= self.district.scenario.start

    @property
    def is_school_day(self) -> bool:
        return is_school_day(self.day)

    @property
    def is_workday(self) -> bool:
        return is_workday(self.day)

    @property
    def term(self) -> Term | None:
        return term_of(self.day)

    def at(self, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return moment(self.day, time(hour, minute, second))

    def between(self, first: time, last: time) -> datetime:
        """A random moment in [first, last], to the second."""
        start = moment(self.day, first)
        span = int((moment(self.day, last) - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, span))

    def injected(self, rule_id: str) -> Injection | None:
        """The rule's anomaly planned for this school today, if any."""
        return next(
            (injection for injection in self.injections if injection.rule_id == rule_id), None
        )

    def standing(self, rule_id: str) -> Injection | None:
        """The rule's anomaly planned for this school on any day (one that lasts the whole scenario)."""
        return self.anomalies.standing(rule_id, self.school.index)
