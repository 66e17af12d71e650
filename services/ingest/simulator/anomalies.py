"""Where and when each rule's anomalies are injected.

Every rule gets ``scenario.anomalies_per_rule()`` injections where its nature
allows: each needs a school of the right kind (a nutrition-plan canteen, a
boarding school...) and a day on which it can both happen and be proven
inside the scenario (a procurement process needs weeks, a phantom student ten
school days). Rules that judge a whole population (Cardinal's R025, R038,
R048) get at most a few, so the population stays mostly normal. A rule that
cannot be injected in the scenario is listed with the reason in the manifest.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from services.ingest.simulator.activities.fees import AID_SCHOOL_DAY
from services.ingest.simulator.calendar import is_school_day, is_workday
from services.ingest.simulator.district import District
from services.ingest.simulator.injections import Injection
from services.ingest.simulator.model import School, SchoolClass
from services.ingest.simulator.rules import ALL_RULES

INACTIVE_SCHOOL_DAYS = 10  # E2's default
LEAD_IN_WINDOW_DAYS = 15  # procurement anomalies start early enough to finish inside the scenario
POPULATION_CAP = 3
LARGE_CLASS, SUPER_LARGE_CLASS = 58, 68  # E3's tiers start at 56 and 66


@dataclass(frozen=True, slots=True)
class AnomalyPlan:
    by_rule: dict[str, list[Injection]]
    infeasible: dict[str, str] = field(default_factory=dict)
    """Rule id → why the scenario cannot hold an anomaly for it."""
    _by_day: dict[tuple[int, date], tuple[Injection, ...]] = field(default_factory=dict, repr=False)
    _by_school: dict[tuple[str, int], Injection] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls, by_rule: dict[str, list[Injection]], infeasible: dict[str, str] | None = None
    ) -> AnomalyPlan:
        by_day: dict[tuple[int, date], list[Injection]] = defaultdict(list)
        by_school: dict[tuple[str, int], Injection] = {}
        for rule, injections in by_rule.items():
            for injection in injections:
                by_day[(injection.school_index, injection.day)].append(injection)
                by_school.setdefault((rule, injection.school_index), injection)
        return cls(
            by_rule,
            infeasible or {},
            {key: tuple(value) for key, value in by_day.items()},
            by_school,
        )

    def at(self, school_index: int, day: date) -> tuple[Injection, ...]:
        return self._by_day.get((school_index, day), ())

    def standing(self, rule_id: str, school_index: int) -> Injection | None:
        """The rule's injection at the school, whatever its day (anomalies that last the whole scenario)."""
        return self._by_school.get((rule_id, school_index))


@dataclass(frozen=True, slots=True)
class Spec:
    eligible: Callable[[School], bool]
    days: str  # which days (see _Days)
    variants: int = 1


def _any(school: School) -> bool:
    return True


def _nutrition(school: School) -> bool:
    return school.nutrition_plan != "none"


def _aided(school: School) -> bool:
    return school.boarding or school.kind == "high"


SPECS: dict[str, Spec] = {
    "C1": Spec(_nutrition, "claim_days", variants=2),
    "C2": Spec(_nutrition, "school_days", variants=2),
    "C3": Spec(
        lambda school: school.nutrition_plan == "none" and school.student_count >= 300,
        "last_school_day",
    ),
    "C6": Spec(_any, "later_school_days", variants=2),
    "C7": Spec(_any, "school_days", variants=2),
    "C9": Spec(_any, "later_school_days"),
    "C_MEALS": Spec(_any, "school_days"),
    "C_PRICE": Spec(_any, "school_days"),
    "E1": Spec(_any, "late_school_days"),
    "E2": Spec(_any, "registration_day"),
    "E3": Spec(lambda school: len(school.grades()) > 1, "first_school_day", variants=2),
    "E5": Spec(_any, "first_school_day"),
    "F1": Spec(
        lambda school: school.location == "urban" and school.compulsory, "school_days", variants=3
    ),
    "F2": Spec(_any, "school_days"),
    "F4": Spec(_any, "school_days"),
    "F6": Spec(_aided, "after_aid_days", variants=2),
    "F7": Spec(_any, "workdays"),
    "F8": Spec(_any, "workdays", variants=3),
    "F10": Spec(_any, "paydays"),
    "F11": Spec(_any, "workdays"),
    "F_APPROVAL": Spec(_any, "workdays", variants=2),
    "F_BENFORD": Spec(_any, "first_workday"),
    **{
        rule: Spec(_any, "lead_in")
        for rule in (
            "P4",
            "P6",
            "P10",
            "P12",
            "R003",
            "R018",
            "R024",
            "R028",
            "R030",
            "R036",
            "R058",
        )
    },
    "P7": Spec(_any, "lead_in", variants=2),
}
GROUPED = ("P3", "P3_NEAR", "R025", "R035", "R038", "R048")  # planned by _grouped


def plan_anomalies(district: District) -> AnomalyPlan:
    scenario = district.scenario
    count = scenario.anomalies_per_rule()
    days = _Days(district)
    by_rule: dict[str, list[Injection]] = {}
    infeasible: dict[str, str] = {}
    if count == 0:
        return AnomalyPlan.of({})
    busy_procurement: set[int] = set()
    for rule, spec in SPECS.items():
        rng = random.Random(f"{scenario.seed}|anomalies|{rule}")
        candidates = days.of(spec.days)
        schools = [school for school in district.schools if spec.eligible(school)]
        if not candidates or not schools:
            infeasible[rule] = (
                days.reason(spec.days) if not candidates else "no school of the right kind"
            )
            continue
        chosen = _spread(rng, schools, count)
        by_rule[rule] = [
            Injection(rule, school.index, rng.choice(candidates), number % spec.variants)
            for number, school in enumerate(chosen)
        ]
        if spec.days == "lead_in":
            busy_procurement.update(school.index for school in chosen)
    by_rule.update(_grouped(district, days, count, busy_procurement, infeasible))
    if "E1" in by_rule:  # the pupil is already on another school's roll
        if len(district.schools) < 2:
            infeasible["E1"] = "needs two schools"
            del by_rule["E1"]
        else:
            by_rule["E1"] = [
                replace(i, partner_index=(i.school_index + 1) % len(district.schools))
                for i in by_rule["E1"]
            ]
    missing = [rule for rule in ALL_RULES if rule not in by_rule and rule not in infeasible]
    assert not missing, f"no injection planned for {missing}"
    return AnomalyPlan.of(by_rule, infeasible)


def enlarge_classes(district: District, plan: AnomalyPlan) -> District:
    """Give each E3 school one oversized class, outside the intake grade (so admissions stay within plan)."""
    schools = list(district.schools)
    for injection in plan.by_rule.get("E3", ()):
        school = schools[injection.school_index]
        grade = max(grade for grade in school.grades() if grade != school.entry_grade)
        size = LARGE_CLASS if injection.variant == 0 else SUPER_LARGE_CLASS
        schools[school.index] = replace(school, classes=_resized(school.classes, grade, size))
    return replace(district, schools=tuple(schools))


def oversized_class(school: School) -> SchoolClass | None:
    return next((cls for cls in school.classes if cls.size >= LARGE_CLASS), None)


def _resized(classes: tuple[SchoolClass, ...], grade: int, size: int) -> tuple[SchoolClass, ...]:
    result, position, done = [], 0, False
    for cls in classes:
        if cls.grade != grade:
            result.append(cls)
            continue
        new_size = size if not done else cls.size
        done = True
        result.append(replace(cls, size=new_size, first_position=position))
        position += new_size
    return tuple(result)


def _spread(rng: random.Random, schools: list[School], count: int) -> list[School]:
    """``count`` schools, all different while there are enough."""
    chosen: list[School] = []
    while len(chosen) < count:
        chosen += rng.sample(schools, min(len(schools), count - len(chosen)))
    return chosen


def _grouped(
    district: District, days: _Days, count: int, busy: set[int], infeasible: dict[str, str]
) -> dict[str, list[Injection]]:
    scenario = district.scenario
    rng = random.Random(f"{scenario.seed}|anomalies|grouped")
    lead_in = days.of("lead_in")
    if len(lead_in) < 3:
        for rule in GROUPED:
            infeasible[rule] = days.reason("lead_in")
        return {}
    planned: dict[str, list[Injection]] = {}
    free = [school for school in district.schools if school.index not in busy] or list(
        district.schools
    )
    heavy = _spread(rng, free, max(1, min(len(free) // 10, (count + 1) // 2)))
    planned["R038"] = [
        Injection("R038", school.index, lead_in[offset], 0) for school in heavy for offset in (0, 2)
    ]
    planned["R038"] += [
        Injection("R038", -1, lead_in[0], 1)
        for _ in range(min(POPULATION_CAP, max(0, count - len(heavy))))
    ]
    planned["R035"] = [
        Injection("R035", heavy[number % len(heavy)].index, rng.choice(lead_in), 0)
        for number in range(count)
    ]
    planned["R025"] = [Injection("R025", -1, lead_in[0]) for _ in range(min(POPULATION_CAP, count))]
    planned["R048"] = [Injection("R048", -1, lead_in[0]) for _ in range(min(POPULATION_CAP, count))]
    planned["P3"], planned["P3_NEAR"] = [], []
    for number, school in enumerate(_spread(rng, district.schools, count)):
        first = rng.randrange(len(lead_in) - 2)
        planned["P3"] += [
            Injection("P3", school.index, day, number) for day in lead_in[first : first + 3]
        ]
    for number, school in enumerate(_spread(rng, district.schools, count)):
        first = rng.randrange(len(lead_in) - 2)
        planned["P3_NEAR"] += [
            Injection("P3_NEAR", school.index, day, number) for day in lead_in[first : first + 3]
        ]
    return planned


class _Days:
    """The days on which each kind of anomaly can happen and be proven inside the scenario."""

    def __init__(self, district: District) -> None:
        scenario = district.scenario
        self._scenario = scenario
        self.school_days = [day for day in scenario.dates() if is_school_day(day)]
        self.workdays = [day for day in scenario.dates() if is_workday(day)]

    def of(self, kind: str) -> list[date]:
        return getattr(self, f"_{kind}")()

    def reason(self, kind: str) -> str:
        return {
            "registration_day": f"needs {INACTIVE_SCHOOL_DAYS} school days after a term registration",
            "paydays": "no payday (the first working day from the 5th) in the scenario",
            "after_aid_days": "no school day after the aid batch",
            "lead_in": "no working days for procurement",
            "claim_days": "no school week",
        }.get(kind, "no suitable day in the scenario")

    def _school_days(self) -> list[date]:
        return self.school_days

    def _later_school_days(self) -> list[date]:
        return self.school_days[1:]

    def _late_school_days(self) -> list[date]:
        return self.school_days[1:][-(INACTIVE_SCHOOL_DAYS - 1) :]

    def _first_school_day(self) -> list[date]:
        return self.school_days[:1]

    def _last_school_day(self) -> list[date]:
        return self.school_days[-1:]

    def _workdays(self) -> list[date]:
        return self.workdays

    def _first_workday(self) -> list[date]:
        return self.workdays[:1]

    def _claim_days(self) -> list[date]:
        weeks: dict[tuple[int, int], date] = {}
        for day in self.school_days:
            weeks[day.isocalendar()[:2]] = day
        return sorted(weeks.values())

    def _registration_day(self) -> list[date]:
        return self.school_days[:1] if len(self.school_days) >= INACTIVE_SCHOOL_DAYS + 1 else []

    def _after_aid_days(self) -> list[date]:
        return self.school_days[AID_SCHOOL_DAY:]

    def _paydays(self) -> list[date]:
        return [
            day
            for day in self.workdays
            if day.day >= 5 and not any(is_workday(day.replace(day=d)) for d in range(5, day.day))
        ]

    def _lead_in(self) -> list[date]:
        start = self._scenario.procurement_start
        return [
            start + timedelta(days=offset)
            for offset in range(LEAD_IN_WINDOW_DAYS)
            if is_workday(start + timedelta(days=offset))
        ]
