"""The canteen's money: nutrition-subsidy claims and their spending, supplier payments, families' meal fees.

Canteens are non-profit, and the detectors judge a term's books (C1, C3), so
the normal books balance at any cut-off: the subsidy claimed each week is
spent on that week's food the same day, families are billed at month end
exactly the food cost their fees paid for (按实际就餐核算), and food not covered
by the subsidy is paid from meal fees when it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from services.ingest.simulator.calendar import is_school_day
from services.ingest.simulator.context import SchoolDay, moment
from services.ingest.simulator.model import School
from services.ingest.simulator.roster import class_students
from services.ingest.simulator.schedule import EventSpec

STANDARD_FEN_PER_DAY = 500  # national nutrition-plan standard since autumn 2021
LOCAL_SUPPLEMENT_FEN_PER_DAY = 60  # Chongqing's city-funded top-up
OVER_CLAIM = 1.25
MARKUP = 1.4  # a canteen billing families well above cost (C3)
UNDERSPEND_TOLERANCE = 0.9  # C1: at least 90 % of the claimed subsidy must be spent on food
MAXIMUM_SURPLUS, MINIMUM_INCOME_FEN = 0.05, 1_000_000  # C3: 5 % of at least 10,000 元


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_school_day):
        return
    books = ctx.state.books
    books.school_days.append(ctx.day)
    claim_fault = ctx.injected("C1")
    if claim_fault and claim_fault.variant == 1:
        books.hoarding = True
    delivered, ctx.state.delivery = ctx.state.delivery, None
    nutrition = ctx.school.nutrition_plan != "none"
    if delivered is not None:
        order_id, amount = delivered
        if nutrition:
            books.week_delivered_fen += amount
        else:
            _spend(
                ctx,
                ctx.between(time(10, 0), time(11, 30)),
                "meal_fee",
                amount,
                "食材采购款",
                order_id=order_id,
            )
    misuse = ctx.injected("C2")
    if misuse:
        _misuse(ctx, misuse.variant)
    if nutrition and _last_school_day_of_week(ctx):
        _claim_and_settle(ctx)
    markup = ctx.injected("C3")
    if markup or _last_school_day_of_month(ctx):
        _bill_families(ctx, MARKUP if markup else 1.0)


def close(ctx: SchoolDay) -> None:
    """After the last day: the term-end findings the books prove (C1 under-spending, C3 surplus), for injected schools."""
    books = ctx.state.books
    if not books.audited:
        return
    for label, term in books.terms.items():
        closes = _term_end(label)
        if (
            books.hoarding
            and term.claimed_fen
            and term.subsidy_food_fen < term.claimed_fen * UNDERSPEND_TOLERANCE
        ):
            ctx.schedule.truth(closes, "C1", ("school", ctx.school.school_id), term.evidence)
        surplus = term.income_fen - term.spent_fen
        if term.income_fen >= MINIMUM_INCOME_FEN and surplus > term.income_fen * MAXIMUM_SURPLUS:
            ctx.schedule.truth(closes, "C3", ("school", ctx.school.school_id), term.evidence)


def _claim_and_settle(ctx: SchoolDay) -> None:
    books, school = ctx.state.books, ctx.school
    week = [day for day in books.school_days if day.isocalendar()[:2] == ctx.day.isocalendar()[:2]]
    beneficiaries = school.student_count
    claimed_at = ctx.between(time(15, 30), time(16, 30))
    claim_id = f"NC-{school.school_id}-{ctx.day:%Y%m%d}"
    central = beneficiaries * len(week) * STANDARD_FEN_PER_DAY
    local = beneficiaries * len(week) * LOCAL_SUPPLEMENT_FEN_PER_DAY
    claim_fault = ctx.injected("C1")
    inflated = claim_fault is not None and claim_fault.variant == 0
    if inflated:  # the claim is more than beneficiaries × days × standard
        central, local = round(central * OVER_CLAIM), round(local * OVER_CLAIM)
    claim_event = ctx.schedule.event(
        claimed_at,
        "canteen.subsidy_claim",
        lambda: {
            "claim_id": claim_id,
            "claimed_at": claimed_at.isoformat(),
            "term": ctx_term(ctx),
            "period_start": week[0].isoformat(),
            "period_end": week[-1].isoformat(),
            "beneficiary_count": beneficiaries,
            "meal_days": len(week),
            "standard_fen_per_day": STANDARD_FEN_PER_DAY,
            "local_supplement_fen_per_day": LOCAL_SUPPLEMENT_FEN_PER_DAY,
            "claimed_amount_fen": central + local,
            "beneficiaries": _beneficiary_ids(ctx.seed, school, week[-1]),
        },
        subject=claim_id,
    )
    term = books.term(ctx_term(ctx))
    term.income_fen += central + local
    term.claimed_fen += central + local
    term.note(books.audited, claim_event)
    if inflated:
        ctx.schedule.truth(
            claimed_at, "C1", ("school", school.school_id), [claim_event], record_id=claim_id
        )
    settled_at = claimed_at + timedelta(minutes=40)
    subsidy = 0 if books.hoarding else central + local
    if subsidy:
        _spend(
            ctx,
            settled_at,
            "nutrition_subsidy_central",
            central,
            "营养改善计划膳食补助（中央）食材款",
        )
        _spend(
            ctx,
            settled_at + timedelta(minutes=1),
            "nutrition_subsidy_local",
            local,
            "营养改善计划膳食补助（地方）食材款",
        )
    remainder = books.week_delivered_fen - subsidy
    if remainder > 0:
        _spend(
            ctx,
            settled_at + timedelta(minutes=2),
            "meal_fee",
            remainder,
            "食材采购款（伙食费部分）",
        )
    books.week_delivered_fen = min(0, remainder)  # an overpaid week is credited to the next


def _misuse(ctx: SchoolDay, variant: int) -> None:
    """Subsidy money spent on anything but food: staff meals, or cash handed to parents (C2)."""
    school = ctx.school
    at = ctx.between(time(14, 0), time(15, 0))
    if variant == 0:
        supplier = school.food_supplier
        payee = {
            "payee_type": "supplier",
            "org_id": supplier.org_id,
            "org_name": supplier.name,
            "account_no": supplier.account_no,
        }
        category, purpose, subject, pii = (
            "staff_meals",
            "教职工工作餐",
            ("vendor", supplier.org_id),
            None,
        )
    else:
        parent = class_students(ctx.seed, school, school.classes[0], ctx.day)[0]
        account = "62" + parent.id_number[6:17] + "0001"
        payee = {"payee_type": "parent", "person_name": parent.guardian_name, "account_no": account}
        category, purpose, subject, pii = (
            "cash_to_parents",
            "营养餐补助现金发放",
            ("account", account),
            "bank_account",
        )
    amount = ctx.rng.randint(800, 3000) * 100
    spending_id, event_id = _spend(
        ctx, at, "nutrition_subsidy_central", amount, purpose, category=category, payee=payee
    )
    ctx.schedule.truth(at, "C2", subject, [event_id], pii_kind=pii, record_id=spending_id)


def _spend(
    ctx: SchoolDay,
    at: datetime,
    fund: str,
    amount: int,
    purpose: str,
    *,
    order_id: str | None = None,
    category: str = "food",
    payee: dict[str, Any] | None = None,
) -> tuple[str, str]:
    books, school = ctx.state.books, ctx.school
    supplier = school.food_supplier
    spending_id = f"CS-{school.school_id}-{ctx.state.next_number('canteen-spending'):05d}"
    record: dict[str, Any] = {
        "spending_id": spending_id,
        "paid_at": at.isoformat(),
        "term": ctx_term(ctx),
        "fund_source": fund,
        "expense_category": category,
        "payee": payee
        or {
            "payee_type": "supplier",
            "org_id": supplier.org_id,
            "org_name": supplier.name,
            "account_no": supplier.account_no,
        },
        "amount_fen": amount,
        "purpose": purpose,
    }
    if order_id is not None:
        record["order_id"] = order_id
    event_id = ctx.schedule.event(at, "canteen.subsidy_spending", record, subject=spending_id)
    term = books.term(ctx_term(ctx))
    term.spent_fen += amount
    if fund.startswith("nutrition_subsidy") and category == "food":
        term.subsidy_food_fen += amount
    term.note(books.audited, event_id)
    if fund == "meal_fee":
        books.unbilled_fen += amount
    return spending_id, event_id


def _bill_families(ctx: SchoolDay, markup: float) -> None:
    """Families pay what the food cost, shared by the number of students (按实际就餐核算)."""
    books, school = ctx.state.books, ctx.school
    total, books.unbilled_fen = round(books.unbilled_fen * markup), 0
    if total <= 0:
        return
    term = books.term(ctx_term(ctx))
    term.income_fen += total
    if books.audited:
        term.evidence.extend(_payment_id(ctx, position) for position in range(school.student_count))
    ctx.schedule.series(_fee_payments(ctx, total))


def _fee_payments(ctx: SchoolDay, total: int) -> Iterator[EventSpec]:
    school, books = ctx.school, ctx.state.books
    share, rest = divmod(total, school.student_count)
    meal_days = sum(1 for day in books.school_days if day.month == ctx.day.month)
    at = ctx.at(17, 0)
    position = 0
    for cls in school.classes:
        for student in class_students(ctx.seed, school, cls, ctx.day):
            paid_at = at + timedelta(seconds=position * 2)
            payment_id = _payment_id(ctx, position)
            record = {
                "payment_id": payment_id,
                "paid_at": paid_at.isoformat(),
                "term": ctx_term(ctx),
                "student": student.ref(),
                "amount_fen": share + (1 if position < rest else 0),
                "meal_days": meal_days,
                "channel": ("wechat", "alipay", "bank_transfer")[position % 3],
                "receiving_account_type": "canteen_public_account",
            }
            yield EventSpec(paid_at, "canteen.meal_fee_payment", record, payment_id, payment_id)
            position += 1


def _payment_id(ctx: SchoolDay, position: int) -> str:
    return f"MF-{ctx.school.school_id}-{ctx.day:%Y%m%d}-{position:05d}"


def ctx_term(ctx: SchoolDay) -> str:
    term = ctx.term
    assert term is not None, "canteen money moves on school days, which lie in a term"
    return term.label


def _term_end(label: str) -> datetime:
    """Where the detectors' term window closes: 1 February after an autumn term, 1 September after a spring term."""
    first_year, _, number = label.split("-")
    year = int(first_year) + 1
    return moment(date(year, 2, 1) if number == "1" else date(year, 9, 1), time.min)


def _beneficiary_ids(seed: int, school: School, day: date) -> list[str]:
    return [
        student.student_id
        for cls in school.classes
        for student in class_students(seed, school, cls, day)
    ]


def _last_school_day_of_week(ctx: SchoolDay) -> bool:
    """The week's claim is also made on the scenario's last school day, so no claimed week is left open."""
    return _no_school_until(
        ctx, min(ctx.day + timedelta(days=7 - ctx.day.weekday()), ctx.district.scenario.end)
    )


def _last_school_day_of_month(ctx: SchoolDay) -> bool:
    return _no_school_until(ctx, (ctx.day.replace(day=1) + timedelta(days=32)).replace(day=1))


def _no_school_until(ctx: SchoolDay, stop: date) -> bool:
    """No school day after today and before ``stop``."""
    day = ctx.day + timedelta(days=1)
    while day < stop:
        if is_school_day(day):
            return False
        day += timedelta(days=1)
    return True
