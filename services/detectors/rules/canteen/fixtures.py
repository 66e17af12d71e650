"""Contract-valid canteen events for the canteen rules' tests."""

from __future__ import annotations

from typing import Any

from services.detectors.testing import ORG_A, SCHOOL, event, org, staff

TERM = "2026-2027-1"


def meal_service(
    service_id: str,
    *,
    day: str = "2026-09-01",
    meal: str = "lunch",
    leaders: tuple[tuple[str, str], ...] = (("S-P", "principal"),),
    student_meals: int = 300,
    subsidized_meals: int = 200,
    at: str | None = None,
    school: str = SCHOOL,
) -> dict[str, Any]:
    at = at or f"{day}T12:00:00+08:00"
    return event(
        "canteen.meal_service",
        {
            "service_id": service_id,
            "service_date": day,
            "meal": meal,
            "served_at": at,
            "student_meals": student_meals,
            "subsidized_meals": subsidized_meals,
            "staff_meals": 20,
            "menu": ["米饭", "青菜"],
            "accompanying_leaders": [
                {"staff_id": s, "role": role, "recorded_at": at} for s, role in leaders
            ],
        },
        at=at,
        event_id=f"meal-{service_id}",
        school=school,
    )


def spending(
    spending_id: str,
    amount_yuan: int,
    *,
    fund: str = "nutrition_subsidy_central",
    category: str = "food",
    payee_type: str = "supplier",
    at: str = "2026-09-10T10:00:00+08:00",
    term: str = TERM,
) -> dict[str, Any]:
    payee = {"payee_type": payee_type, "account_no": "6222000011112222"}
    if payee_type == "supplier":
        payee.update(org_id=ORG_A, org_name="供应商")
    else:
        payee.update(person_name="pn:" + "a" * 32)
    return event(
        "canteen.subsidy_spending",
        {
            "spending_id": spending_id,
            "paid_at": at,
            "term": term,
            "fund_source": fund,
            "expense_category": category,
            "payee": payee,
            "amount_fen": amount_yuan * 100,
            "purpose": "支付",
        },
        at=at,
        event_id=f"spending-{spending_id}",
    )


def stock_line(
    item: str, *, opening: str, inbound: str, outbound: str, book: str, counted: str
) -> dict[str, Any]:
    return {
        "item_code": item,
        "item_name": "大米",
        "category": "grain",
        "unit": "kg",
        "opening_quantity": opening,
        "inbound_quantity": inbound,
        "outbound_quantity": outbound,
        "book_quantity": book,
        "counted_quantity": counted,
    }


def stock_count(count_id: str, *lines: dict[str, Any], day: str = "2026-09-01") -> dict[str, Any]:
    return event(
        "canteen.stock_count",
        {
            "count_id": count_id,
            "count_date": day,
            "counted_at": f"{day}T18:00:00+08:00",
            "warehouse_id": "WH-1",
            "counted_by": [staff("S-K")],
            "lines": list(lines),
        },
        at=f"{day}T18:00:00+08:00",
        event_id=f"count-{count_id}",
    )


def purchase_order(
    order_id: str,
    unit_price_fen: int,
    *,
    item: str = "RICE-01",
    unit: str = "kg",
    at: str = "2026-09-05T10:00:00+08:00",
    school: str = SCHOOL,
    fund: str = "meal_fee",
) -> dict[str, Any]:
    return event(
        "canteen.purchase_order",
        {
            "order_id": order_id,
            "ordered_at": at,
            "expected_delivery_date": at[:10],
            "supplier": org(ORG_A),
            "purchaser": staff("S-BUYER"),
            "fund_source": fund,
            "lines": [
                {
                    "item_code": item,
                    "item_name": "大米",
                    "category": "grain",
                    "unit": unit,
                    "line_no": 1,
                    "quantity": "100",
                    "unit_price_fen": unit_price_fen,
                    "amount_fen": unit_price_fen * 100,
                }
            ],
            "total_amount_fen": unit_price_fen * 100,
        },
        at=at,
        event_id=f"po-{order_id}",
        school=school,
    )


def subsidy_claim(
    claim_id: str,
    *,
    beneficiaries: int = 100,
    days: int = 20,
    claimed_yuan: int = 10_000,
    local_fen: int = 0,
    at: str = "2026-09-30T10:00:00+08:00",
    term: str = TERM,
    period: tuple[str, str] = ("2026-09-01", "2026-09-30"),
) -> dict[str, Any]:
    return event(
        "canteen.subsidy_claim",
        {
            "claim_id": claim_id,
            "claimed_at": at,
            "term": term,
            "period_start": period[0],
            "period_end": period[1],
            "beneficiary_count": beneficiaries,
            "meal_days": days,
            "standard_fen_per_day": 500,
            "local_supplement_fen_per_day": local_fen,
            "claimed_amount_fen": claimed_yuan * 100,
        },
        at=at,
        event_id=f"claim-{claim_id}",
    )


def meal_fee(
    payment_id: str, amount_yuan: int, *, at: str = "2026-09-02T10:00:00+08:00", term: str = TERM
) -> dict[str, Any]:
    return event(
        "canteen.meal_fee_payment",
        {
            "payment_id": payment_id,
            "paid_at": at,
            "term": term,
            "student": {"student_id": "pn:" + "b" * 32},
            "amount_fen": amount_yuan * 100,
            "meal_days": 20,
            "channel": "bank_transfer",
            "receiving_account_type": "school_public_account",
        },
        at=at,
        event_id=f"fee-{payment_id}",
    )
