"""The generation core: a scenario in, every school's events and the ground truth out, in event-time order.

Pure and deterministic: no clock, no network, no global random state. Each
school is an independent stream (its roll, then its days), built lazily, and
the district's stream is the time-ordered merge of the schools' streams, so
memory grows with the number of schools, not with the number of events.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from services.ingest.simulator.activities import (
    canteen_funds,
    enrollment,
    fees,
    kitchen,
    office,
    payments,
    procurement,
)
from services.ingest.simulator.anomalies import AnomalyPlan, enlarge_classes, plan_anomalies
from services.ingest.simulator.calendar import check_supported
from services.ingest.simulator.context import SchoolDay
from services.ingest.simulator.district import District, build_district
from services.ingest.simulator.emissions import Emission
from services.ingest.simulator.model import School
from services.ingest.simulator.procurement.market import Market
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.schedule import Occurrence, Schedule
from services.ingest.simulator.state import SchoolState

# Findings a detector makes when a window closes after the last event (term books, a quarter's payments).
CLOSING_ACTIVITIES: tuple[Callable[[SchoolDay], None], ...] = (canteen_funds.close, payments.close)
# Order matters within a day: attendance tells the kitchen how many eat; the kitchen tells the funds what was delivered.
DAILY_ACTIVITIES: tuple[Callable[[SchoolDay], None], ...] = (
    procurement.run,
    enrollment.run,
    kitchen.run,
    canteen_funds.run,
    fees.run,
    payments.run,
    office.run,
)


@dataclass(frozen=True, slots=True)
class Simulation:
    scenario: Scenario
    district: District
    plan: AnomalyPlan

    @classmethod
    def prepare(cls, scenario: Scenario) -> Simulation:
        check_supported(scenario.procurement_start, scenario.end)
        district = build_district(scenario)
        plan = plan_anomalies(district)
        return cls(scenario, enlarge_classes(district, plan), plan)

    @property
    def not_injected(self) -> dict[str, str]:
        """Rules the scenario holds no anomaly for, and why."""
        return dict(self.plan.infeasible)

    def emissions(self) -> Iterator[Emission]:
        """Every event and ground-truth record, in event-time order; population findings, decided when
        their window closes (Cardinal's peer comparisons), come after the last event."""
        market = Market(self.district, self.plan.by_rule)
        streams = [
            _school_stream(self.district, school, self.plan, market)
            for school in self.district.schools
        ]
        for _, _, _, render in heapq.merge(*streams):
            yield render()
        yield from market.population.records()


def simulate(scenario: Scenario) -> Iterator[Emission]:
    """Every event and ground-truth record of the scenario (see Simulation.emissions)."""
    return Simulation.prepare(scenario).emissions()


def _school_stream(
    district: District, school: School, plan: AnomalyPlan, market: Market
) -> Iterator[Occurrence]:
    state = SchoolState()
    state.books.audited = any(plan.standing(rule, school.index) for rule in ("C1", "C3"))
    roll = _context(
        district, school, district.scenario.start, state, plan, market, label="roll", order=0
    )
    return heapq.merge(enrollment.roll(roll), _days(district, school, state, plan, market))


def _days(
    district: District, school: School, state: SchoolState, plan: AnomalyPlan, market: Market
) -> Iterator[Occurrence]:
    day = district.scenario.procurement_start
    while day < district.scenario.end:
        order = (day - district.scenario.procurement_start).days + 1
        ctx = _context(
            district, school, day, state, plan, market, label=f"{day:%Y%m%d}", order=order
        )
        for activity in DAILY_ACTIVITIES:
            activity(ctx)
        yield from ctx.schedule.release()
        day += timedelta(days=1)
    last = district.scenario.end - timedelta(days=1)
    closing = _context(
        district,
        school,
        last,
        state,
        plan,
        market,
        label="close",
        order=(district.scenario.end - district.scenario.procurement_start).days + 1,
    )
    for close in CLOSING_ACTIVITIES:
        close(closing)
    yield from closing.schedule.release()


def _context(
    district: District,
    school: School,
    day: date,
    state: SchoolState,
    plan: AnomalyPlan,
    market: Market,
    *,
    label: str,
    order: int,
) -> SchoolDay:
    scenario = district.scenario
    schedule = Schedule(
        school_id=school.school_id,
        school_index=school.index,
        district_id=scenario.district_id,
        label=label,
        order=order,
        pseudonym_key=scenario.pseudonym_key,
    )
    return SchoolDay(
        district=district,
        school=school,
        day=day,
        rng=random.Random(f"{scenario.seed}|{school.school_id}|{label}"),
        schedule=schedule,
        state=state,
        injections=plan.at(school.index, day),
        market=market,
        anomalies=plan,
    )
