"""Payments: vouchers with their approval chains, and the weekly 三重一大 meeting behind every large one.

Approvals happen in office hours, by people other than the requester. Every
payment of 10万 元 or more cites the weekly principal's-office meeting that
approved it, held before the payment. Ordinary voucher amounts follow
Benford's law (see benford).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from contracts.pii import pseudonym
from services.ingest.simulator.benford import conforming_fen, skewed_fen
from services.ingest.simulator.calendar import is_workday
from services.ingest.simulator.context import SchoolDay, moment
from services.ingest.simulator.model import Staff
from services.ingest.simulator.procurement import records
from services.ingest.simulator.procurement.plans import ProcessPlan

LARGE_PAYMENT_FEN = 10_000_000  # 10万 元: the 三重一大 amount
MEETING_TIME = time(15)  # a weekly meeting approves the large payments due before the next one
PRINCIPAL_APPROVES_FROM_FEN = 500_000  # 5,000 元
VOUCHERS_PER_STUDENTS = 80  # one ordinary voucher a working day per this many students
VOUCHERS_PER_DAY = (4, 20)
EXPENSES = (
    ("30201", "办公用品"), ("30205", "水费"), ("30206", "电费"), ("30213", "设备维修"), ("30216", "教师培训"),
    ("30218", "教学耗材"), ("30227", "委托业务"), ("31002", "办公设备购置"),
)  # fmt: skip
BENFORD_MINIMUM_RECORDS = 300  # F_BENFORD judges a quarter with at least this many payments


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_workday):
        return
    if ctx.injected("F_BENFORD"):
        ctx.state.benford_skewed = True
    if _first_workday_of_week(ctx):
        _meeting(ctx)
    for _ in range(_vouchers_today(ctx)):
        _ordinary_voucher(ctx)
    for plan in ctx.state.processes:
        for at, kind, amount in plan.payments:
            if at.date() == ctx.day and plan.competitive:
                _contract_voucher(ctx, plan, at, kind, amount)
    if ctx.injected("F11"):
        _large_payment_without_meeting(ctx)
    odd = ctx.injected("F_APPROVAL")
    if odd:
        _odd_approval(ctx, odd.variant)


def close(ctx: SchoolDay) -> None:
    """After the last day: a quarter of skewed payment amounts (F_BENFORD), judged when the quarter closes."""
    by_quarter: dict[datetime, list[str]] = {}
    for quarter_end, event_id in ctx.state.benford_evidence:
        by_quarter.setdefault(quarter_end, []).append(event_id)
    for quarter_end, evidence in sorted(by_quarter.items()):
        if len(evidence) >= BENFORD_MINIMUM_RECORDS:
            ctx.schedule.truth(quarter_end, "F_BENFORD", ("school", ctx.school.school_id), evidence)


def approval_chain(
    ctx: SchoolDay, requester: Staff, amount_fen: int, submitted: datetime
) -> list[dict[str, Any]]:
    staff = ctx.school.staff
    steps = [
        (requester, "requester", "submitted"),
        (staff.accountant, "accountant", "approved"),
        (staff.finance_officer, "finance_officer", "approved"),
    ]
    if amount_fen >= PRINCIPAL_APPROVES_FROM_FEN:
        steps.append((staff.principal, "principal", "approved"))
    steps.append((staff.cashier, "cashier", "paid"))
    chain, at = [], submitted
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
        at += timedelta(minutes=ctx.rng.randint(15, 70))
    return chain


def voucher(
    ctx: SchoolDay,
    *,
    amount_fen: int,
    requester: Staff,
    payee: dict[str, Any],
    purpose: tuple[str, str],
    chain: list[dict[str, Any]] | None = None,
    contract: ProcessPlan | None = None,
    meeting_id: str | None = None,
) -> tuple[str, str, datetime]:
    """Plan a payment voucher: (voucher id, event id, paid at)."""
    number = ctx.state.next_number("voucher")
    voucher_id = f"PV-{ctx.school.school_id}-{number:06d}"
    submitted = ctx.between(time(8, 40), time(11, 0))
    chain = chain or approval_chain(ctx, requester, amount_fen, submitted)
    paid_at = datetime.fromisoformat(chain[-1]["acted_at"])
    record = {
        "voucher_id": voucher_id,
        "voucher_no": f"记-{ctx.day:%Y%m}-{number:04d}",
        "created_at": chain[0]["acted_at"],
        "paid_at": paid_at.isoformat(),
        "amount_fen": amount_fen,
        "fund_source": "project_fund" if contract else "operating_fund",
        "expense_category": purpose[0],
        "purpose": purpose[1],
        "payee": payee,
        "requester": requester.ref(),
        "approval_chain": chain,
        "contract_id": records.contract_id(contract) if contract else None,
        "ocid": contract.ocid if contract else None,
        "invoice_numbers": [invoice_number(ctx)],
        "meeting_id": meeting_id,
    }
    return (
        voucher_id,
        ctx.schedule.event(paid_at, "finance.payment_voucher", record, subject=voucher_id),
        paid_at,
    )


def invoice_number(ctx: SchoolDay) -> str:
    """A fully-digital invoice number (20 digits), unique across the district."""
    return f"2550{ctx.school.index + 1:05d}{ctx.state.next_number('invoice'):011d}"


def _vouchers_today(ctx: SchoolDay) -> int:
    fewest, most = VOUCHERS_PER_DAY
    count = min(most, max(fewest, ctx.school.student_count // VOUCHERS_PER_STUDENTS))
    if ctx.state.benford_skewed:  # enough records for the detector to judge the quarter
        workdays = sum(1 for day in ctx.district.scenario.dates() if is_workday(day))
        count = max(count, math.ceil(BENFORD_MINIMUM_RECORDS * 1.1 / workdays))
    return count


def _ordinary_voucher(ctx: SchoolDay) -> None:
    sequence = ctx.state.next_number("benford")
    offset = (ctx.school.index * 0.7548776662) % 1.0
    skewed = ctx.state.benford_skewed
    amount = skewed_fen(sequence, offset) if skewed else conforming_fen(sequence, offset)
    vendor = ctx.rng.choice(ctx.district.vendors["goods"] + ctx.district.vendors["services"])
    payee = {
        "payee_type": "supplier",
        "org_id": vendor.org_id,
        "org_name": vendor.name,
        "account_no": vendor.account_no,
    }
    requester = ctx.rng.choice((*ctx.school.staff.department_heads, *ctx.school.staff.teachers))
    _, event_id, _ = voucher(
        ctx, amount_fen=amount, requester=requester, payee=payee, purpose=ctx.rng.choice(EXPENSES)
    )
    if skewed:
        ctx.state.benford_evidence.append((_quarter_end(ctx.day), event_id))


def _contract_voucher(
    ctx: SchoolDay, plan: ProcessPlan, at: datetime, kind: str, amount: int
) -> None:
    assert plan.winner is not None
    meeting_id = (
        ctx.state.approved_payments.get(f"{plan.ocid}/{kind}")
        if amount >= LARGE_PAYMENT_FEN
        else None
    )
    payee = {
        "payee_type": "supplier",
        "org_id": plan.winner.org_id,
        "org_name": plan.winner.name,
        "account_no": plan.winner.account_no,
    }
    requester = ctx.school.staff.vice_principal
    submitted = at - timedelta(hours=3)
    chain = approval_chain(ctx, requester, amount, submitted)
    chain[-1]["acted_at"] = at.isoformat()
    voucher(
        ctx,
        amount_fen=amount,
        requester=requester,
        payee=payee,
        purpose=(
            "31002" if plan.category.main == "goods" else "30227",
            f"{plan.category.name}合同{'预付款' if kind == 'advance' else '尾款'}",
        ),
        chain=chain,
        contract=plan,
        meeting_id=meeting_id,
    )


def _meeting(ctx: SchoolDay) -> None:
    """The weekly principal's-office meeting, approving the large contract payments due before the next one."""
    school, staff = ctx.school, ctx.school.staff
    held_at = (
        ctx.at(8, 0) if ctx.day == ctx.district.scenario.start else moment(ctx.day, MEETING_TIME)
    )
    next_held_at = moment(next_meeting_day(ctx.day), MEETING_TIME)
    meeting_id = f"MT-{school.school_id}-{ctx.day:%Y%m%d}"
    decisions = [
        {
            "decision_id": f"{meeting_id}-D1",
            "category": "key_appointment",
            "subject": "研究本周教育教学及安全工作安排",
            "amount_fen": None,
            "contract_id": None,
            "outcome": "approved",
        }
    ]
    for plan in ctx.state.processes:
        for at, kind, amount in plan.payments:
            if plan.competitive and amount >= LARGE_PAYMENT_FEN and held_at < at <= next_held_at:
                ctx.state.approved_payments[f"{plan.ocid}/{kind}"] = meeting_id
                decisions.append(
                    {
                        "decision_id": f"{meeting_id}-D{len(decisions) + 1}",
                        "category": "large_fund_use",
                        "subject": f"同意支付{plan.category.name}合同{'预付款' if kind == 'advance' else '尾款'}",
                        "amount_fen": amount,
                        "contract_id": records.contract_id(plan),
                        "outcome": "approved",
                    }
                )
    attendees = [
        staff.principal,
        staff.party_secretary,
        staff.vice_principal,
        staff.finance_officer,
        *staff.department_heads,
    ]
    ctx.schedule.event(
        held_at,
        "finance.collective_decision",
        {
            "meeting_id": meeting_id,
            "meeting_type": "principal_office",
            "held_at": held_at.isoformat(),
            "minutes_no": f"校办〔{ctx.day.year}〕{ctx.state.next_number('minutes')}号",
            "chaired_by": staff.principal.ref(),
            "attendees": [person.ref() for person in attendees],
            "quorum_met": True,
            "decisions": decisions,
        },
        subject=meeting_id,
    )


def _large_payment_without_meeting(ctx: SchoolDay) -> None:
    """F11: 10万 元 or more spent with no collective decision behind it."""
    requester = ctx.school.staff.vice_principal
    vendor = ctx.rng.choice(ctx.district.vendors["works"])
    payee = {
        "payee_type": "supplier",
        "org_id": vendor.org_id,
        "org_name": vendor.name,
        "account_no": vendor.account_no,
    }
    amount = ctx.rng.randint(120_000, 300_000) * 100
    voucher_id, event_id, paid_at = voucher(
        ctx, amount_fen=amount, requester=requester, payee=payee, purpose=("30213", "校舍零星维修")
    )
    ctx.schedule.truth(
        paid_at,
        "F11",
        ("staff", requester.staff_id),
        [event_id],
        pii_kind="staff_id",
        record_id=voucher_id,
    )


def _odd_approval(ctx: SchoolDay, variant: int) -> None:
    """F_APPROVAL: the principal signs off at midnight, or the finance officer approves their own request."""
    staff = ctx.school.staff
    vendor = ctx.rng.choice(ctx.district.vendors["services"])
    payee = {
        "payee_type": "supplier",
        "org_id": vendor.org_id,
        "org_name": vendor.name,
        "account_no": vendor.account_no,
    }
    amount = ctx.rng.randint(6_000, 40_000) * 100
    submitted = ctx.between(time(9, 0), time(10, 0))
    if variant == 0:
        requester, approver, finding = staff.department_heads[0], staff.principal, "odd_hour"
        chain = approval_chain(ctx, requester, amount, submitted)
        night = ctx.between(time(23, 0), time(23, 30))
        chain[-2]["acted_at"] = night.isoformat()  # the principal's step
        chain[-1]["acted_at"] = (night + timedelta(minutes=20)).isoformat()
    else:
        requester, approver, finding = staff.finance_officer, staff.finance_officer, "self_approval"
        chain = approval_chain(ctx, requester, amount, submitted)
    voucher_id, event_id, paid_at = voucher(
        ctx,
        amount_fen=amount,
        requester=requester,
        payee=payee,
        purpose=("30227", "委托业务费"),
        chain=chain,
    )
    alias = pseudonym("staff_id", approver.staff_id, ctx.district.scenario.pseudonym_key)
    record = f"{voucher_id}/{alias}/{finding}"
    ctx.schedule.truth(
        paid_at,
        "F_APPROVAL",
        ("staff", approver.staff_id),
        [event_id],
        pii_kind="staff_id",
        record_id=record,
    )


def _quarter_end(day: date) -> datetime:
    """Where F_BENFORD's quarter window closes."""
    first_month = (day.month - 1) // 3 * 3 + 1
    following = date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    return moment(following, time.min)


def _first_workday_of_week(ctx: SchoolDay) -> bool:
    return ctx.day == ctx.district.scenario.start or _opens_its_week(ctx.day)


def _opens_its_week(day: date) -> bool:
    return is_workday(day) and not any(
        is_workday(day - timedelta(days=back)) for back in range(1, day.weekday() + 1)
    )


def next_meeting_day(day: date) -> date:
    """The day of the weekly meeting after ``day``'s: after a long holiday (国庆), days later than a week."""
    following = day + timedelta(days=1)
    while not _opens_its_week(following):
        following += timedelta(days=1)
    return following
