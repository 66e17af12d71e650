"""学籍: the school's profile, the admission round, each term's registration (学籍注册), attendance and class rosters.

Every student is registered for the term on its first school day, before
attendance starts, so every rule that joins on enrollment knows each student
before their first meal, fee or aid. The school year's admission round (the
approved plan in June, admissions in August) precedes it. When the scenario
starts in the middle of a term, that registration is replayed before the
scenario, as the student-records system would export it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from services.ingest.simulator.anomalies import (
    INACTIVE_SCHOOL_DAYS,
    SUPER_LARGE_CLASS,
    oversized_class,
)
from services.ingest.simulator.calendar import is_school_day, is_workday, school_year_of, term_of
from services.ingest.simulator.context import SchoolDay, moment
from services.ingest.simulator.model import School, SchoolClass, Student
from services.ingest.simulator.roster import class_student_ids, class_students, student_at
from services.ingest.simulator.schedule import EventSpec, Occurrence

APPROVING_AUTHORITY = "涪陵区教育委员会"
STANDARD_CLASS_SIZE = {"primary": 45, "nine_year": 45, "junior": 50, "high": 50}
ABSENCE_RATE = 0.015
ABSENCE_REASONS = (("sick_leave", 60), ("personal_leave", 35), ("unexcused", 5))
REGISTRATION_INTERVAL = timedelta(seconds=2)


def entry_day(year: int) -> date:
    """The first school day of the school year that begins in ``year``."""
    day = date(year, 9, 1)
    while not is_school_day(day):
        day += timedelta(days=1)
    return day


def entry_year(school: School, grade: int, school_year: int) -> int:
    return school_year - (grade - school.entry_grade)


def roll(ctx: SchoolDay) -> Iterator[Occurrence]:
    """What happened before the scenario, in time order: the profile, the admission round and, if the
    term began earlier, the term's registration. ``ctx`` is the school's context on the scenario's first day."""
    school, scenario = ctx.school, ctx.district.scenario
    school_year = school_year_of(scenario.start)
    ctx.schedule.event(
        moment(date(school_year, 6, 1), time(8, 0)),
        "enrollment.school_profile",
        _profile(school, date(school_year, 6, 1)),
    )
    yield from ctx.schedule.release()
    yield from _admission_round(ctx, school_year)
    registration_day = term_registration_day(scenario.start)
    if registration_day < scenario.start:
        ctx.schedule.series(_registrations(ctx, registration_day))
        yield from ctx.schedule.release()


def term_registration_day(day: date) -> date:
    """The first school day of the term in progress on ``day``, or of the next term during a holiday."""
    term = term_of(day)
    first = term.first_day if term else day
    while not is_school_day(first):
        first += timedelta(days=1)
    return first


def registration_event_id(school: School, student: Student) -> str:
    return f"{school.school_id}-reg-{student.student_id}"


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_school_day):
        return
    school = ctx.school
    if ctx.day == term_registration_day(ctx.day):
        ctx.schedule.series(_registrations(ctx, ctx.day))
    if ctx.day == ctx.district.scenario.start or not _had_school_this_week(ctx.day):
        _roster(ctx)
    duplicate = ctx.injected("E1")
    if duplicate and duplicate.partner_index is not None:
        _register_elsewhere_too(ctx, ctx.district.schools[duplicate.partner_index])
    phantom = phantom_of(ctx)
    school_year = school_year_of(ctx.day)
    present_total = 0
    for cls in school.classes:
        absent = _absences(ctx, cls)
        if phantom and phantom.class_id == cls.class_id:  # on the roll, never at school
            absent[0] = "unknown"
        present_total += cls.size - len(absent)
        at = ctx.between(time(7, 50), time(8, 20))
        ctx.schedule.event(
            at,
            "enrollment.attendance",
            _sheet(ctx, cls, school_year, absent, at),
            subject=f"{school.school_id}/{cls.class_id}",
        )
    ctx.state.present = present_total
    if phantom:
        _count_phantom_absence(ctx, phantom)


def phantom_of(ctx: SchoolDay) -> Student | None:
    """E2's phantom: the first pupil of the school's last class, registered but never at school."""
    if not ctx.standing("E2"):
        return None
    cls = ctx.school.classes[-1]
    return class_students(ctx.seed, ctx.school, cls, ctx.day)[0]


def _count_phantom_absence(ctx: SchoolDay, phantom: Student) -> None:
    """E2 alerts at the end of the tenth school day in a row without the pupil."""
    ctx.state.phantom_days += 1
    if ctx.state.phantom_days == INACTIVE_SCHOOL_DAYS:
        end = moment(ctx.day + timedelta(days=1), time.min)
        evidence = [registration_event_id(ctx.school, phantom)]
        ctx.schedule.truth(
            end, "E2", ("student", phantom.student_id), evidence, pii_kind="student_id"
        )


def _register_elsewhere_too(ctx: SchoolDay, home: School) -> None:
    """E1: a pupil still on ``home``'s roll is registered here as well."""
    school_year = school_year_of(ctx.day)
    cls, here = home.classes[0], ctx.school.classes[0]
    pupil = student_at(ctx.seed, home, cls.grade, cls.first_position, cls.class_id, school_year)
    twin = replace(pupil, class_id=here.class_id, grade=here.grade)
    at = ctx.between(time(9, 0), time(11, 0))
    spec = registration(ctx.school, twin, at, ctx.day)
    ctx.schedule.event(spec.at, spec.name, spec.data, subject=spec.subject, event_id=spec.event_id)
    evidence = [registration_event_id(home, pupil), spec.event_id]
    ctx.schedule.truth(
        at,
        "E1",
        ("student", pupil.id_number),
        evidence,
        pii_kind="id_number",
        record_id=home.school_id,
    )


def _registrations(ctx: SchoolDay, day: date) -> Iterator[EventSpec]:
    """Every student registered for the term, finishing before the first attendance sheet at 07:50."""
    school = ctx.school
    entered_in = {
        grade: entry_day(entry_year(school, grade, school_year_of(day)))
        for grade in school.grades()
    }
    at = moment(day, time(7, 45)) - REGISTRATION_INTERVAL * school.student_count
    for cls in school.classes:
        for student in class_students(ctx.seed, school, cls, day):
            yield registration(school, student, at, entered_in[cls.grade])
            at += REGISTRATION_INTERVAL


def _had_school_this_week(day: date) -> bool:
    return any(is_school_day(day - timedelta(days=back)) for back in range(1, day.weekday() + 1))


def _profile(school: School, effective_from: date) -> dict[str, Any]:
    return {
        "school_id": school.school_id,
        "school_name": school.name,
        "district_id": school.school_id[:6],
        "district_name": "涪陵区",
        "school_type": school.kind,
        "location": school.location,
        "nutrition_plan": school.nutrition_plan,
        "canteen_operating_mode": "self_run",
        "catchment_zone_id": school.catchment_zone_id,
        "leaders": [{**person.ref(), "role": role} for person, role in school.staff.leaders()],
        "effective_from": effective_from.isoformat(),
    }


def registration(school: School, student: Student, at: datetime, entered: date) -> EventSpec:
    data = {
        "registration_id": f"REG-{school.school_id}-{student.student_id[1:]}",
        "registered_at": at.isoformat(),
        "student": {
            "student_id": student.student_id,
            "id_number": student.id_number,
            "name": student.name,
            "gender": "male" if student.male else "female",
        },
        "entry_date": entered.isoformat(),
        "grade": student.grade,
        "class_id": student.class_id,
        "hukou_type": school.location,
        "is_boarding": student.boarding,
        "nutrition_plan_beneficiary": student.beneficiary,
        "guardian": {
            "name": student.guardian_name,
            "phone": student.guardian_phone,
            "relation": "mother" if student.male else "father",
        },
    }
    return EventSpec(
        at,
        "enrollment.registration",
        data,
        student.student_id,
        registration_event_id(school, student),
    )


def _admission_round(ctx: SchoolDay, school_year: int) -> Iterator[Occurrence]:
    school = ctx.school
    grade = school.entry_grade
    classes = school.classes_of(grade)
    plan_id = f"AP-{school.school_id}-{school_year}-{grade:02d}"
    approved_at = moment(date(school_year, 6, 15), time(10, 0))
    admitted = sum(cls.size for cls in classes)
    quota = len(classes) * STANDARD_CLASS_SIZE[school.kind]
    if ctx.standing("E5"):  # the plan approved fewer places than the school then fills
        quota = admitted - max(3, admitted // 20)
    plan_event = ctx.schedule.event(
        approved_at,
        "enrollment.admission_plan",
        {
            "plan_id": plan_id,
            "school_year": school_year,
            "grade": grade,
            "approved_quota": quota,
            "approved_classes": len(classes),
            "approved_by": APPROVING_AUTHORITY,
            "approved_at": approved_at.isoformat(),
        },
        subject=plan_id,
    )
    yield from ctx.schedule.release()
    day = date(school_year, 8, 20)
    at = moment(day, time(9, 0))
    count = 0
    for cls in classes:
        for student in class_students(ctx.seed, school, cls, date(school_year, 9, 1)):
            while not is_workday(at.date()) or at.time() > time(17, 0):
                day += timedelta(days=1)
                at = moment(day, time(9, 0))
            event_id = ctx.schedule.event(
                at,
                "enrollment.admission",
                _admission(school, student, school_year, plan_id, at),
                subject=student.student_id,
            )
            count += 1
            if count == quota + 1:
                ctx.schedule.truth(
                    at,
                    "E5",
                    ("school", school.school_id),
                    [plan_event, event_id],
                    record_id=plan_id,
                )
            yield from ctx.schedule.release()
            at += timedelta(minutes=3)


def _admission(
    school: School, student: Student, school_year: int, plan_id: str, at: datetime
) -> dict[str, Any]:
    basis = "entrance_exam" if school.kind == "high" else "catchment"
    return {
        "admission_id": f"ADM-{school.school_id}-{student.student_id[1:]}",
        "admitted_at": at.isoformat(),
        "school_year": school_year,
        "grade": student.grade,
        "applicant": {
            "id_number": student.id_number,
            "name": student.name,
            "student_id": student.student_id,
        },
        "admission_basis": basis,
        "catchment_zone_id": school.catchment_zone_id,
        "address_zone_id": school.catchment_zone_id,
        "plan_id": plan_id,
    }


def _roster(ctx: SchoolDay) -> None:
    school = ctx.school
    at = ctx.between(time(9, 0), time(9, 30))
    snapshot_id = f"RS-{school.school_id}-{ctx.day:%Y%m%d}"
    event_id = ctx.schedule.event(
        at,
        "enrollment.roster_snapshot",
        {
            "snapshot_id": snapshot_id,
            "snapshot_date": ctx.day.isoformat(),
            "taken_at": at.isoformat(),
            "term": ctx.term.label if ctx.term else "",
            "classes": [
                {
                    "class_id": cls.class_id,
                    "class_name": cls.name,
                    "grade": cls.grade,
                    "student_count": cls.size,
                    "head_teacher_staff_id": cls.head_teacher.staff_id,
                }
                for cls in school.classes
            ],
            "total_students": school.student_count,
        },
        subject=snapshot_id,
    )
    oversized = oversized_class(school)
    term = ctx.term
    if (
        oversized and term and term.label not in ctx.state.reported_terms
    ):  # E3 alerts once per class, term and tier
        ctx.state.reported_terms.add(term.label)
        tier = "super_large" if oversized.size >= SUPER_LARGE_CLASS else "large"
        ctx.schedule.truth(at, "E3", ("class", oversized.class_id), [event_id], record_id=tier)


def _absences(ctx: SchoolDay, cls: SchoolClass) -> dict[int, str]:
    reasons = [reason for reason, _ in ABSENCE_REASONS]
    weights = [weight for _, weight in ABSENCE_REASONS]
    return {
        offset: ctx.rng.choices(reasons, weights)[0]
        for offset in range(cls.size)
        if ctx.rng.random() < ABSENCE_RATE
    }


def _sheet(
    ctx: SchoolDay, cls: SchoolClass, school_year: int, absent: dict[int, str], at: datetime
) -> Callable[[], dict[str, Any]]:
    school, day = ctx.school, ctx.day

    def build() -> dict[str, Any]:
        ids = class_student_ids(school, cls, school_year)
        return {
            "sheet_id": f"ATT-{school.school_id}-{cls.class_id}-{day:%Y%m%d}",
            "date": day.isoformat(),
            "recorded_at": at.isoformat(),
            "kind": "class_attendance",
            "class_id": cls.class_id,
            "meal": None,
            "present": [
                student_id for offset, student_id in enumerate(ids) if offset not in absent
            ],
            "absent": [
                {"student_id": ids[offset], "reason": reason}
                for offset, reason in sorted(absent.items())
            ],
        }

    return build
