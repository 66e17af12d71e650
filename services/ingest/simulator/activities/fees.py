"""Fees charged at the start of term (only approved items, at their standard) and student aid paid mid-term."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from services.ingest.simulator.calendar import is_school_day, school_year_of, term_of
from services.ingest.simulator.context import SchoolDay
from services.ingest.simulator.model import School, Student
from services.ingest.simulator.reference import (
    AFTER_SCHOOL_FEE,
    COMPULSORY_TUITION,
    DORMITORY_FEE,
    DRINKING_WATER_FEE,
    HIGH_SCHOOL_TUITION,
    STUDENT_INSURANCE,
    UNAPPROVED_FEE,
    FeeItem,
)
from services.ingest.simulator.roster import class_students, student_at
from services.ingest.simulator.schedule import EventSpec

CHARGING_DAYS = 5  # classes are charged over the first school week of term
CHARGE_INTERVAL = timedelta(seconds=20)
AID_SCHOOL_DAY = 4  # the aid batch goes out on the scenario's fourth school day
AFTER_SCHOOL_TAKE_UP = 85  # percent of urban compulsory-school pupils who sign up
AID_SHARE = 15  # percent of eligible pupils in hardship
GHOST_POSITION = 990  # a cohort position no class reaches: a pupil who was never registered
AID_FEN_PER_TERM = {
    "primary": 50_000,
    "junior": 62_500,
    "high": 115_000,
}  # 1,000 / 1,250 / 2,300 元 a year


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_school_day):
        return
    number = _school_day_of_term(ctx.day)
    if number is not None and number < CHARGING_DAYS:
        ctx.schedule.series(_term_fees(ctx, number))
    if _school_day_of_scenario(ctx) == min(AID_SCHOOL_DAY, _school_days_in_scenario(ctx)) - 1:
        ctx.schedule.series(_aid_batch(ctx))
    for rule, finding, item, amount in _unlawful_fees(ctx):
        _charge_class(ctx, rule, finding, item, amount)
    wrong_aid = ctx.injected("F6")
    if wrong_aid:
        _wrong_aid(ctx, wrong_aid.variant)


def _unlawful_fees(ctx: SchoolDay) -> list[tuple[str, str | None, FeeItem, int | None]]:
    """(rule, F1's finding, item, amount) for each fee anomaly planned today."""
    found = []
    unapproved = ctx.injected("F1")
    if unapproved:
        found.append(
            [
                ("F1", "tuition_in_compulsory", COMPULSORY_TUITION, None),
                ("F1", "not_approved", UNAPPROVED_FEE, None),
                ("F1", "above_standard", AFTER_SCHOOL_FEE, AFTER_SCHOOL_FEE.amount_fen * 4 // 3),
            ][unapproved.variant]
        )
    if ctx.injected("F2"):
        found.append(("F2", None, DRINKING_WATER_FEE, None))
    if ctx.injected("F4"):
        found.append(("F4", None, STUDENT_INSURANCE, None))
    return found


def _charge_class(
    ctx: SchoolDay, rule: str, finding: str | None, item: FeeItem, amount: int | None
) -> None:
    """One class is charged the unlawful fee: an alert per pupil charged."""
    cls = ctx.school.classes[len(ctx.school.classes) // 2]
    at = ctx.between(time(13, 0), time(15, 0))
    for student in class_students(ctx.seed, ctx.school, cls, ctx.day):
        spec = charge(ctx, student, item, at, amount_fen=amount, tag=rule)
        ctx.schedule.event(
            spec.at, spec.name, spec.data, subject=spec.subject, event_id=spec.event_id
        )
        record = f"{spec.event_id}/{finding}" if finding else spec.event_id
        subject = ("student", student.student_id)
        ctx.schedule.truth(
            at, rule, subject, [spec.event_id], pii_kind="student_id", record_id=record
        )
        at += CHARGE_INTERVAL


def _wrong_aid(ctx: SchoolDay, variant: int) -> None:
    """F6: aid to a pupil the school does not have, or a second payment in the same term."""
    school = ctx.school
    at = ctx.between(time(14, 0), time(16, 0))
    cls = school.classes[-1]
    if variant == 0:
        ghost = student_at(
            ctx.seed, school, cls.grade, GHOST_POSITION, cls.class_id, school_year_of(ctx.day)
        )
        category = aid_category(school, ghost) or ("national_grant", AID_FEN_PER_TERM["high"])
        pupil, finding = ghost, "not_enrolled"
    else:
        pupil = next(
            s
            for c in school.classes
            for s in class_students(ctx.seed, school, c, ctx.day)
            if aid_category(school, s) and in_hardship(s)
        )
        category = aid_category(school, pupil)
        finding = "duplicate"
    assert category is not None
    batch = f"AB-{school.school_id}-{ctx.day:%Y%m%d}"
    spec = disburse(ctx, pupil, *category, batch, at, f"{pupil.student_id[1:]}-{finding}")
    disbursement_id = event_id = ctx.schedule.event(
        spec.at, spec.name, spec.data, subject=spec.subject, event_id=spec.event_id
    )
    ctx.schedule.truth(
        at,
        "F6",
        ("student", pupil.student_id),
        [event_id],
        pii_kind="student_id",
        record_id=f"{disbursement_id}/{finding}",
    )


def fee_items(school: School, student: Student) -> list[FeeItem]:
    items = []
    if student.boarding:
        items.append(DORMITORY_FEE)
    if school.kind == "high":
        items.append(HIGH_SCHOOL_TUITION)
    elif school.location == "urban" and int(student.id_number[14:16]) < AFTER_SCHOOL_TAKE_UP:
        items.append(AFTER_SCHOOL_FEE)
    return items


def _term_fees(ctx: SchoolDay, number: int) -> Iterator[EventSpec]:
    """The classes charged today (one in five each day of the first week), a pupil every 20 seconds from 08:30."""
    at = ctx.at(8, 30)
    for cls in ctx.school.classes[number::CHARGING_DAYS]:
        for student in class_students(ctx.seed, ctx.school, cls, ctx.day):
            for item in fee_items(ctx.school, student):
                yield charge(ctx, student, item, at)
                at += CHARGE_INTERVAL


def charge(
    ctx: SchoolDay,
    student: Student,
    item: FeeItem,
    at: datetime,
    *,
    amount_fen: int | None = None,
    tag: str = "",
) -> EventSpec:
    """One fee charge; its event id is the charge id."""
    term = ctx.term
    assert term is not None
    charge_id = f"FC-{ctx.school.school_id}-{term.label}-{student.student_id[1:]}-{item.code}{tag}"
    record: dict[str, Any] = {
        "charge_id": charge_id,
        "charged_at": at.isoformat(),
        "term": term.label,
        "student": student.ref(),
        "grade": student.grade,
        "fee_item_code": item.code,
        "fee_item_name": item.name,
        "fee_category": item.category,
        "standard_fen": item.amount_fen if item.document else None,
        "amount_fen": item.amount_fen if amount_fen is None else amount_fen,
        "approval_document": item.document,
        "collected_by": "school",
        "voluntary": item.voluntary,
    }
    return EventSpec(at, "finance.fee_charge", record, charge_id, charge_id)


def aid_category(school: School, student: Student) -> tuple[str, int] | None:
    """The aid a pupil in hardship receives: boarding living allowance in compulsory school, the national grant in high school."""
    if school.kind == "high":
        return "national_grant", AID_FEN_PER_TERM["high"]
    if student.boarding:
        return "boarding_living_allowance", AID_FEN_PER_TERM[
            "primary" if student.grade <= 6 else "junior"
        ]
    return None


def in_hardship(student: Student) -> bool:
    return int(student.id_number[13:16]) % 100 < AID_SHARE


def disburse(
    ctx: SchoolDay,
    student: Student,
    category: str,
    amount: int,
    batch_id: str,
    at: datetime,
    serial: str,
) -> EventSpec:
    """One pupil's aid; its event id is the disbursement id."""
    term = ctx.term
    assert term is not None
    disbursement_id = f"AID-{ctx.school.school_id}-{term.label}-{serial}"
    record = {
        "disbursement_id": disbursement_id,
        "paid_at": at.isoformat(),
        "term": term.label,
        "student": student.ref(),
        "aid_category": category,
        "is_boarding": student.boarding,
        "amount_fen": amount,
        "recipient_account_no": "62" + student.id_number[6:17] + "0000",
        "account_holder_name": student.guardian_name,
        "batch_id": batch_id,
    }
    return EventSpec(at, "finance.aid_disbursement", record, disbursement_id, disbursement_id)


def _aid_batch(ctx: SchoolDay) -> Iterator[EventSpec]:
    school = ctx.school
    term = ctx.term
    assert term is not None
    batch_id = f"AB-{school.school_id}-{term.label}"
    at = ctx.at(10, 0)
    for cls in school.classes:
        for student in class_students(ctx.seed, school, cls, ctx.day):
            category = aid_category(school, student)
            if category is not None and in_hardship(student):
                yield disburse(ctx, student, *category, batch_id, at, student.student_id[1:])
                at += timedelta(seconds=3)


@functools.cache
def _school_day_of_term(day: date) -> int | None:
    """0 for the term's first school day, and so on; None after the charging week."""
    term = term_of(day)
    if term is None:
        return None
    count, current = 0, term.first_day
    while current < day and count <= CHARGING_DAYS:
        count += is_school_day(current)
        current += timedelta(days=1)
    return count if count < CHARGING_DAYS else None


def _school_day_of_scenario(ctx: SchoolDay) -> int:
    return _school_days_between(ctx.district.scenario.start, ctx.day)


def _school_days_in_scenario(ctx: SchoolDay) -> int:
    return _school_days_between(ctx.district.scenario.start, ctx.district.scenario.end)


@functools.cache
def _school_days_between(first: date, stop: date) -> int:
    return sum(
        1 for offset in range((stop - first).days) if is_school_day(first + timedelta(days=offset))
    )
