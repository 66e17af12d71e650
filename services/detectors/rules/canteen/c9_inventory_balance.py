"""C9 · 库存不平衡 / Inventory that does not balance

A storeroom must balance: opening stock + inbound − outbound = closing stock.
On each ``canteen.stock_count`` line the rule alerts when food was issued
beyond what was in stock (outbound > opening + inbound: phantom issues or
unrecorded purchases), and when the counted quantity differs from the book
quantity by more than ``tolerance`` (5 %) of the book.

Kind: single event (the daily count carries the day's movements). Subject: the
item; one alert per count, item and finding.
Source: derived control (进销存平衡); tolerance ✘ is a configurable estimate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.findings import finding
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
)
from services.detectors.core.rule import RuleMeta, SingleEventRule

STOCK_COUNT = "cn.edu.qinglian.canteen.stock_count.v1"


@dataclass(frozen=True)
class Parameters:
    tolerance: Decimal = Decimal("0.05")


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    for line in data["lines"]:
        available = Decimal(line["opening_quantity"]) + Decimal(line["inbound_quantity"])
        outbound = Decimal(line["outbound_quantity"])
        book, counted = Decimal(line["book_quantity"]), Decimal(line["counted_quantity"])
        details = {
            "item_name": line["item_name"],
            "unit": line["unit"],
            "count_date": data["count_date"],
        }
        if outbound > available:
            yield finding(
                event,
                subject=(SubjectKind.ITEM, line["item_code"]),
                measured=outbound,
                threshold=available,
                comparison=Comparison.GT,
                record_id=f"{data['count_id']}/{line['item_code']}/outbound",
                details={**details, "check": "outbound_beyond_stock"},
            )
        variance = abs(counted - book)
        if variance > params.tolerance * book:
            yield finding(
                event,
                subject=(SubjectKind.ITEM, line["item_code"]),
                measured=variance,
                threshold=params.tolerance * book,
                comparison=Comparison.GT,
                record_id=f"{data['count_id']}/{line['item_code']}/variance",
                details={
                    **details,
                    "check": "count_differs_from_book",
                    "book": book,
                    "counted": counted,
                },
            )


RULE = SingleEventRule(
    RuleMeta(
        id="C9",
        version="1.0.0",
        title_zh="食材库存不平衡（出库超库存或盘点差异过大）",
        title_en="Inventory does not balance (issues beyond stock or count differs from book)",
        citation="进销存平衡控制：期初库存 + 入库 − 出库 = 期末库存（派生控制，容差可配置）",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({STOCK_COUNT}),
        doc=__doc__,
    ),
    evaluate,
)
