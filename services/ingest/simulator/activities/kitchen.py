"""The canteen's daily cycle: delivery and inspection, issuing food, meals with 陪餐, the next order, the stock count.

Stock always balances: book = opening + inbound − outbound, and the count
finds exactly the book quantity. Orders keep enough stock for the next school
day, so food is never issued that is not there.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from services.ingest.simulator.calendar import is_school_day
from services.ingest.simulator.context import SchoolDay
from services.ingest.simulator.prices import (
    amount_fen,
    daily_need,
    portion,
    quantity,
    reference_price_fen,
    text,
)
from services.ingest.simulator.reference import DISHES, FOOD_ITEMS, FoodItem
from services.ingest.simulator.state import PendingOrder

ITEMS = {item.code: item for item in FOOD_ITEMS}
SERVED_AT = {"breakfast": time(7, 10), "lunch": time(12, 0), "dinner": time(17, 50)}
# Staples are bought for a school week and topped up when less than two days are left.
STAPLE_DAYS = 5
PERISHABLE_MARGIN = Decimal("1.2")
OPENING_DAYS = 3  # staples in the storeroom when the scenario starts; perishables for one day
OVERPRICE = 1.7  # C_PRICE alerts above 1.3 × the district median
MISSING_ITEM = "FD0301"  # pork: what goes missing from a storeroom
# 5万 and 10万 元 (P3_NEAR's lower thresholds; a day's food never reaches its higher ones).
NEAR_THRESHOLDS_FEN = (5_000_000, 10_000_000)


def meals_of(ctx: SchoolDay) -> tuple[str, ...]:
    return ("breakfast", "lunch", "dinner") if ctx.school.boarding else ("lunch",)


def run(ctx: SchoolDay) -> None:
    if not (ctx.in_scenario and ctx.is_school_day):
        return
    pantry = ctx.state.pantry
    if not pantry.stock:
        pantry.price_factor = ctx.rng.uniform(0.94, 1.06)
        pantry.stock = {
            code: _need(ctx, item) * (OPENING_DAYS if item.staple else PERISHABLE_MARGIN)
            for code, item in ITEMS.items()
        }
    opening = dict(pantry.stock)
    inbound = _receive(ctx)
    outbound = {code: Decimal(0) for code in ITEMS}
    for meal in meals_of(ctx):
        issued = _serve(ctx, meal)
        for code, amount in issued.items():
            outbound[code] += amount
            pantry.stock[code] -= amount
    _order(ctx)
    _count(ctx, opening, inbound, outbound)


def _need(ctx: SchoolDay, item: FoodItem) -> Decimal:
    return daily_need(item, ctx.school.student_count, meals_of(ctx))


def _receive(ctx: SchoolDay) -> dict[str, Decimal]:
    pantry = ctx.state.pantry
    order, pantry.pending = pantry.pending, None
    if order is None:
        return {}
    school, staff = ctx.school, ctx.school.staff
    delivered_at = ctx.between(time(6, 40), time(7, 0))
    inspected_at = delivered_at + timedelta(minutes=ctx.rng.randint(5, 15))
    inspectors = [
        (staff.canteen_manager, "canteen_manager"),
        (staff.food_safety_officer, "food_safety_officer"),
    ]
    if ctx.rng.random() < 0.4:
        inspectors.append((staff.storekeeper, "storekeeper"))
    lone_check = ctx.injected("C6")
    if lone_check:  # one person signs, or the purchaser checks their own order
        inspectors = [(staff.canteen_manager, "canteen_manager")]
        if lone_check.variant == 1:
            inspectors.insert(0, (staff.purchaser, "other"))
    lines = [
        {
            "item_code": code,
            "item_name": ITEMS[code].name,
            "category": ITEMS[code].category,
            "unit": ITEMS[code].unit,
            "quantity_delivered": text(amount),
            "quantity_accepted": text(amount),
            "unit_price_fen": price,
            "amount_fen": amount_fen(amount, price),
        }
        for code, amount, price in order.lines
    ]
    total = sum(line["amount_fen"] for line in lines)
    inspection_id = f"INS-{school.school_id}-{ctx.day:%Y%m%d}"
    event_id = ctx.schedule.event(
        inspected_at,
        "canteen.inbound_inspection",
        {
            "inspection_id": inspection_id,
            "order_id": order.order_id,
            "supplier": school.food_supplier.ref(),
            "supplier_licence_no": school.food_supplier.licence_no,
            "delivered_at": delivered_at.isoformat(),
            "inspected_at": inspected_at.isoformat(),
            "is_bulk": bool(lone_check) or any(ITEMS[code].staple for code, _, _ in order.lines),
            "purchaser": staff.purchaser.ref(),
            "inspectors": [{**person.ref(), "role": role} for person, role in inspectors],
            "warehouse_id": f"WH-{school.school_id}",
            "lines": lines,
            "result": "accepted",
            "total_amount_fen": total,
        },
        subject=inspection_id,
    )
    if lone_check:
        ctx.schedule.truth(
            inspected_at,
            "C6",
            ("vendor", school.food_supplier.org_id),
            [event_id],
            record_id=inspection_id,
        )
    ctx.state.delivery = (order.order_id, total)
    for code, amount, _ in order.lines:
        ctx.state.pantry.stock[code] += amount
    return {code: amount for code, amount, _ in order.lines}


def _serve(ctx: SchoolDay, meal: str) -> dict[str, Decimal]:
    school, staff = ctx.school, ctx.school.staff
    diners = ctx.state.present
    served_at = ctx.at(SERVED_AT[meal].hour, SERVED_AT[meal].minute) + timedelta(
        seconds=ctx.rng.randint(0, 480)
    )
    issued = {code: portion(item, diners, meal) for code, item in ITEMS.items()}
    service_id = f"MS-{school.school_id}-{ctx.day:%Y%m%d}-{meal}"
    issued_at = served_at - timedelta(minutes=ctx.rng.randint(45, 70))
    ctx.schedule.event(
        issued_at,
        "canteen.outbound",
        {
            "outbound_id": f"OUT-{school.school_id}-{ctx.day:%Y%m%d}-{meal}",
            "issued_at": issued_at.isoformat(),
            "service_date": ctx.day.isoformat(),
            "meal": meal,
            "purpose": "meal_service",
            "warehouse_id": f"WH-{school.school_id}",
            "issued_by": staff.storekeeper.ref(),
            "received_by": staff.canteen_manager.ref(),
            "lines": [
                _stock_line(code) | {"quantity": text(amount)} for code, amount in issued.items()
            ],
        },
        subject=service_id,
    )
    companions = [
        (
            *ctx.rng.choice(staff.meal_companions()),
            served_at + timedelta(minutes=ctx.rng.randint(15, 30)),
        )
    ]
    meals_reported = diners
    absent_leader = ctx.injected("C7") if meal == "lunch" else None
    if absent_leader:  # nobody ate with the pupils, or only their class teacher did
        companions = (
            []
            if absent_leader.variant == 0
            else [
                (school.classes[0].head_teacher, "class_teacher", served_at + timedelta(minutes=20))
            ]
        )
    inflated = ctx.injected("C_MEALS") if meal == "lunch" else None
    if inflated:
        meals_reported = school.student_count + max(10, school.student_count // 5)
    event_id = ctx.schedule.event(
        served_at,
        "canteen.meal_service",
        {
            "service_id": service_id,
            "service_date": ctx.day.isoformat(),
            "meal": meal,
            "served_at": served_at.isoformat(),
            "student_meals": meals_reported,
            "subsidized_meals": meals_reported
            if school.nutrition_plan != "none" and meal == "lunch"
            else 0,
            "staff_meals": ctx.rng.randint(len(school.classes) // 2, len(school.classes) + 10),
            "menu": ctx.rng.sample(DISHES, 4),
            "accompanying_leaders": [
                {**person.ref(), "role": role, "recorded_at": recorded_at.isoformat()}
                for person, role, recorded_at in companions
            ],
        },
        subject=service_id,
    )
    for injection in (absent_leader, inflated):
        if injection:
            ctx.schedule.truth(
                served_at,
                injection.rule_id,
                ("school", school.school_id),
                [event_id],
                record_id=service_id,
            )
    return issued


def _order(ctx: SchoolDay) -> None:
    """Order for the next school day: perishables for one day, staples for a week when running low."""
    pantry, school = ctx.state.pantry, ctx.school
    lines = []
    for code, item in ITEMS.items():
        need = _need(ctx, item)
        if item.staple:
            amount = need * STAPLE_DAYS if pantry.stock[code] < need * 2 else Decimal(0)
        else:
            amount = need * PERISHABLE_MARGIN - pantry.stock[code]
        if amount > 0:
            price = round(
                reference_price_fen(ctx.seed, item, ctx.day)
                * pantry.price_factor
                * ctx.rng.uniform(0.98, 1.02)
            )
            lines.append((code, quantity(item, amount), price))
    if not lines:
        return
    overpriced = ctx.injected("C_PRICE")
    if overpriced:  # one item bought far above what the rest of the district pays this month
        code, amount, price = lines[0]
        lines[0] = (
            code,
            amount,
            round(reference_price_fen(ctx.seed, ITEMS[code], ctx.day) * OVERPRICE),
        )
    lines = clear_of_bands(lines)
    ordered_at = ctx.between(time(14, 20), time(15, 30))
    order_id = f"PO-{school.school_id}-{ctx.day:%Y%m%d}"
    delivery = _next_school_day(ctx)
    rows = [
        _stock_line(code)
        | {
            "line_no": number,
            "quantity": text(amount),
            "unit_price_fen": price,
            "amount_fen": amount_fen(amount, price),
        }
        for number, (code, amount, price) in enumerate(lines, start=1)
    ]
    event_id = ctx.schedule.event(
        ordered_at,
        "canteen.purchase_order",
        {
            "order_id": order_id,
            "ordered_at": ordered_at.isoformat(),
            "expected_delivery_date": delivery.isoformat(),
            "supplier": school.food_supplier.ref(),
            "purchaser": school.staff.purchaser.ref(),
            "fund_source": "nutrition_subsidy" if school.nutrition_plan != "none" else "meal_fee",
            "lines": rows,
            "total_amount_fen": sum(row["amount_fen"] for row in rows),
        },
        subject=order_id,
    )
    pantry.pending = PendingOrder(order_id, event_id, lines)
    if overpriced:
        ctx.schedule.truth(ordered_at, "C_PRICE", ("item", lines[0][0]), [event_id])


def _count(
    ctx: SchoolDay,
    opening: dict[str, Decimal],
    inbound: dict[str, Decimal],
    outbound: dict[str, Decimal],
) -> None:
    school, staff = ctx.school, ctx.school.staff
    counted_at = (
        ctx.between(time(19, 30), time(20, 0))
        if school.boarding
        else ctx.between(time(16, 30), time(17, 0))
    )
    lines = []
    shortfall = ctx.injected("C9")
    for code, item in ITEMS.items():
        received = inbound.get(code, Decimal(0))
        book = opening[code] + received - outbound[code]
        counted = book
        if shortfall and code == MISSING_ITEM:  # a fifth of the pork is gone
            counted = quantity(item, book * Decimal("0.8"))
            ctx.state.pantry.stock[code] = counted
        lines.append(
            _stock_line(code)
            | {
                "opening_quantity": text(opening[code]),
                "inbound_quantity": text(received),
                "outbound_quantity": text(outbound[code]),
                "book_quantity": text(book),
                "counted_quantity": text(counted),
            }
        )
    count_id = f"SC-{school.school_id}-{ctx.day:%Y%m%d}"
    event_id = ctx.schedule.event(
        counted_at,
        "canteen.stock_count",
        {
            "count_id": count_id,
            "count_date": ctx.day.isoformat(),
            "counted_at": counted_at.isoformat(),
            "warehouse_id": f"WH-{school.school_id}",
            "counted_by": [staff.storekeeper.ref(), staff.canteen_manager.ref()],
            "lines": lines,
        },
        subject=count_id,
    )
    if shortfall:
        ctx.schedule.truth(
            counted_at,
            "C9",
            ("item", MISSING_ITEM),
            [event_id],
            record_id=f"{count_id}/{MISSING_ITEM}/variance",
        )


def clear_of_bands(lines: list[tuple[str, Decimal, int]]) -> list[tuple[str, Decimal, int]]:
    """Keep an order's total out of the bands just under a threshold (P3_NEAR): a big school's weekly
    staples could otherwise land at 45,000–50,000 元 week after week by chance; such an order is rounded up."""
    total = sum(amount_fen(amount, price) for _, amount, price in lines)
    band = next(
        (threshold for threshold in NEAR_THRESHOLDS_FEN if threshold * 0.9 <= total < threshold),
        None,
    )
    if band is None:
        return lines
    factor = Decimal(band * 1.02 / total)
    return [(code, quantity(ITEMS[code], amount * factor), price) for code, amount, price in lines]


def _stock_line(code: str) -> dict[str, Any]:
    item = ITEMS[code]
    return {"item_code": code, "item_name": item.name, "category": item.category, "unit": item.unit}


def _next_school_day(ctx: SchoolDay) -> date:
    day, end = ctx.day + timedelta(days=1), ctx.district.scenario.end
    while day < end and not is_school_day(day):
        day += timedelta(days=1)
    return day
