"""The finance office's other paperwork: reimbursements with their invoices, official receptions, monthly allowances."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from services.ingest.simulator.activities.payments import (
    PRINCIPAL_APPROVES_FROM_FEN,
    invoice_number,
)
from services.ingest.simulator.calendar import is_workday
from services.ingest.simulator.context import SchoolDay
from services.ingest.simulator.model import Staff

REIMBURSEMENTS = (("30211", "差旅费"), ("30216", "培训费"), ("30201", "办公用品费"))


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_workday):
        return
    if ctx.rng.random() < 0.5:
        _reimbursement(ctx)
    hosting = ctx.injected("F8")
    if hosting:
        _lavish_hospitality(ctx, hosting.variant)
    elif ctx.rng.random() < 0.08:
        _hospitality(ctx)
    if _is_payday(ctx):
        _payroll(ctx, underpaid=ctx.school.classes[0].head_teacher if ctx.injected("F10") else None)
    if ctx.injected("F7"):
        _invoice_claimed_twice(ctx)


def _reimbursement(ctx: SchoolDay) -> None:
    staff = ctx.school.staff
    claimant = ctx.rng.choice(staff.teachers)
    submitted = ctx.between(time(9, 0), time(11, 30))
    code, purpose = ctx.rng.choice(REIMBURSEMENTS)
    seller = ctx.rng.choice(ctx.district.vendors["goods"] + ctx.district.vendors["services"])
    invoices = []
    for _ in range(ctx.rng.randint(1, 2)):
        amount = ctx.rng.randint(80, 1800) * 100
        invoices.append(
            {
                "invoice_code": None,
                "invoice_number": invoice_number(ctx),
                "seller_id": seller.org_id,
                "issued_on": (ctx.day - timedelta(days=ctx.rng.randint(1, 10))).isoformat(),
                "total_fen": amount,
            }
        )
    reimburse(ctx, claimant, (code, purpose), invoices, submitted)


def reimburse(
    ctx: SchoolDay,
    claimant: Staff,
    purpose: tuple[str, str],
    invoices: list[dict[str, Any]],
    submitted: datetime,
) -> tuple[str, str]:
    """Plan a reimbursement: (reimbursement id, event id)."""
    staff = ctx.school.staff
    total = sum(invoice["total_fen"] for invoice in invoices)
    chain, at = [], submitted
    steps = [
        (claimant, "requester", "submitted"),
        (staff.department_heads[0], "department_head", "approved"),
        (staff.finance_officer, "finance_officer", "approved"),
    ]
    if total >= PRINCIPAL_APPROVES_FROM_FEN:
        steps.append((staff.principal, "principal", "approved"))
    for number, (person, role, action) in enumerate(steps, start=1):
        chain.append(
            {
                "step": number,
                "role": role,
                "actor_staff_id": person.staff_id,
                "action": action,
                "acted_at": at.isoformat(),
            }
        )
        at += timedelta(minutes=ctx.rng.randint(20, 80))
    reimbursement_id = f"RB-{ctx.school.school_id}-{ctx.state.next_number('reimbursement'):05d}"
    event_id = ctx.schedule.event(
        submitted,
        "finance.reimbursement",
        {
            "reimbursement_id": reimbursement_id,
            "submitted_at": submitted.isoformat(),
            "claimant": claimant.ref(),
            "purpose": purpose[1],
            "expense_category": purpose[0],
            "fund_source": "operating_fund",
            "amount_fen": total,
            "invoices": invoices,
            "approval_chain": chain,
        },
        subject=reimbursement_id,
    )
    return reimbursement_id, event_id


def _invoice_claimed_twice(ctx: SchoolDay) -> None:
    """F7: an invoice reimbursed in the morning is claimed again by a colleague in the afternoon."""
    first, second = ctx.school.staff.teachers[:2]
    seller = ctx.district.vendors["goods"][0]
    invoice = {
        "invoice_code": None,
        "invoice_number": invoice_number(ctx),
        "seller_id": seller.org_id,
        "issued_on": (ctx.day - timedelta(days=3)).isoformat(),
        "total_fen": ctx.rng.randint(300, 1500) * 100,
    }
    reimburse(ctx, first, REIMBURSEMENTS[2], [invoice], ctx.between(time(9, 0), time(10, 0)))
    again_at = ctx.between(time(14, 0), time(15, 0))
    claim_id, event_id = reimburse(ctx, second, REIMBURSEMENTS[2], [dict(invoice)], again_at)
    record = f"{ctx.school.school_id}/{claim_id}"
    ctx.schedule.truth(
        again_at, "F7", ("invoice", f"/{invoice['invoice_number']}"), [event_id], record_id=record
    )


def _hospitality(ctx: SchoolDay) -> None:
    staff = ctx.school.staff
    companions = [staff.vice_principal, staff.department_heads[0]][: ctx.rng.randint(1, 2)]
    _reception(ctx, guests=ctx.rng.randint(2, 5), companions=companions, letter=True, meals=1)


def _lavish_hospitality(ctx: SchoolDay, variant: int) -> None:
    """F8: no official letter, more companions than the rules allow, or a second meal."""
    staff = ctx.school.staff
    crowd = [staff.principal, staff.party_secretary, staff.vice_principal, *staff.department_heads]
    finding, guests, companions, letter, meals = [
        ("no_letter", 3, crowd[2:3], False, 1),
        ("too_many_companions", 4, crowd, True, 1),
        ("too_many_meals", 3, crowd[2:3], True, 2),
    ][variant]
    hospitality_id, event_id = _reception(
        ctx, guests=guests, companions=companions, letter=letter, meals=meals
    )
    ctx.schedule.truth(
        ctx.at(12, 30),
        "F8",
        ("staff", staff.principal.staff_id),
        [event_id],
        pii_kind="staff_id",
        record_id=f"{hospitality_id}/{finding}",
    )


def _reception(
    ctx: SchoolDay, *, guests: int, companions: list[Staff], letter: bool, meals: int
) -> tuple[str, str]:
    """Plan an official reception: (hospitality id, event id)."""
    school = ctx.school
    hospitality_id = f"HS-{school.school_id}-{ctx.day:%Y%m%d}"
    at = ctx.at(12, 30)
    event_id = ctx.schedule.event(
        at,
        "finance.hospitality",
        {
            "hospitality_id": hospitality_id,
            "reception_date": ctx.day.isoformat(),
            "letter": {
                "letter_id": f"涪教督函〔{ctx.day.year}〕{ctx.rng.randint(10, 99)}号",
                "issuing_unit": "涪陵区教育委员会",
                "received_on": (ctx.day - timedelta(days=2)).isoformat(),
            }
            if letter
            else None,
            "guests": [
                {"name": f"督导组成员{number}", "unit": "涪陵区教育委员会", "position": "督学"}
                for number in range(1, guests + 1)
            ],
            "companions": [person.ref() for person in companions],
            "meals": meals,
            "amount_fen": (guests + len(companions)) * ctx.rng.randint(40, 60) * 100 * meals,
            "venue": f"{school.name}教工食堂",
            "approved_by": school.staff.principal.ref(),
            "voucher_id": None,
        },
        subject=hospitality_id,
    )
    return hospitality_id, event_id


def _payroll(ctx: SchoolDay, *, underpaid: Staff | None = None) -> None:
    school = ctx.school
    base = 60_000 + 5_000 * (school.index % 5)  # 600–800 元 a month, well above the 500 元 floor
    lines = [
        {
            "staff": cls.head_teacher.ref(),
            "role": "class_teacher",
            "allowance_type": "class_teacher_allowance",
            "class_id": cls.class_id,
            "amount_fen": 30_000 if cls.head_teacher == underpaid else base,
        }
        for cls in school.classes
    ]
    lines += [
        {
            "staff": teacher.ref(),
            "role": "subject_teacher",
            "allowance_type": "performance_pay",
            "class_id": None,
            "amount_fen": 120_000,
        }
        for teacher in school.staff.teachers
    ]
    payroll_id = f"PR-{school.school_id}-{ctx.day:%Y%m}"
    at = ctx.at(10, 0)
    event_id = ctx.schedule.event(
        at,
        "finance.payroll_allowance",
        {
            "payroll_id": payroll_id,
            "month": f"{ctx.day:%Y-%m}",
            "paid_at": at.isoformat(),
            "lines": lines,
        },
        subject=payroll_id,
    )
    if underpaid:  # F10: below the 500 元 a month a class teacher is due
        ctx.schedule.truth(
            at, "F10", ("staff", underpaid.staff_id), [event_id], pii_kind="staff_id"
        )


def _is_payday(ctx: SchoolDay) -> bool:
    """The first working day on or after the 5th of the month."""
    if ctx.day.day < 5:
        return False
    return not any(is_workday(ctx.day.replace(day=day)) for day in range(5, ctx.day.day))
