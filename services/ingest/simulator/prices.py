"""Reference food prices by month, and the quantities a kitchen uses."""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.ingest.simulator.reference import FoodItem

COUNTABLE_UNITS = frozenset({"box", "piece", "bottle", "bag", "bucket", "dozen"})
MEAL_SHARE = {"breakfast": Decimal("0.3"), "lunch": Decimal(1), "dinner": Decimal("0.7")}
MONTHLY_SWING = 0.06


def reference_price_fen(seed: int, item: FoodItem, day: date) -> int:
    """The district's reference price for the item in the month of ``day`` (seasonal swing ±6 %)."""
    swing = random.Random(f"{seed}|price|{item.code}|{day:%Y-%m}").uniform(
        -MONTHLY_SWING, MONTHLY_SWING
    )
    return round(item.base_price_fen * (1 + swing))


def quantity(item: FoodItem, amount: Decimal) -> Decimal:
    """Whole boxes and bottles, hundredths of a kilogram or litre; never rounded down to zero."""
    if item.unit in COUNTABLE_UNITS:
        return Decimal(max(1, math.ceil(amount)))
    return max(Decimal("0.01"), amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def portion(item: FoodItem, diners: int, meal: str) -> Decimal:
    return quantity(item, item.per_meal * diners * MEAL_SHARE[meal])


def daily_need(item: FoodItem, diners: int, meals: tuple[str, ...]) -> Decimal:
    return sum((portion(item, diners, meal) for meal in meals), Decimal(0))


def amount_fen(quantity_: Decimal, unit_price_fen: int) -> int:
    return int((quantity_ * unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def text(value: Decimal) -> str:
    """The contracts' quantity: a plain decimal string without exponent or trailing zeros."""
    normalized = value.normalize()
    return (
        format(normalized, "f") if normalized != normalized.to_integral() else str(int(normalized))
    )
