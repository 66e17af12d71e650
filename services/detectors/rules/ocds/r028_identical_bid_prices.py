"""R028 · 不同投标人报价完全相同 / Identical bid prices (OCP Cardinal)

Two submitted bids from different sets of tenderers carry the same amount in
the same currency. A tenderer may submit several bids at one price. Processes
whose method detail is not price-compared (``no_price_comparison_procurement_methods``
/ ``price_comparison_procurement_methods``) are skipped.

Cardinal: OCID = 1.0 and every tenderer involved = 1.0. Streaming: per process,
evaluated once the award is decided; subject: the tender.
Source: OCP red flag R028; cardinal-rs ``src/indicators/r028.rs``; 《政府采购法实施条例》第七十四条 (串通投标).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    PriceComparisonIndicator,
    Release,
    array,
    compared_bid_prices,
    price_comparison_settings,
    text,
)
from services.detectors.rules.ocds.processes import Verdict, cardinal_judge, process_rule
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R028"


@dataclass
class Indicator(PriceComparisonIndicator):
    code: str = CODE

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        prices: dict[tuple[float, str], frozenset[str]] = {}
        for bid, amount, currency in compared_bid_prices(release, self.settings):
            ids = frozenset(
                tenderer_id
                for t in array(bid, "tenderers") or []
                if (tenderer_id := text(t, "id")) is not None
            )
            if not ids:
                continue
            price = (float(amount), currency)
            other = prices.get(price)
            if other is not None and ids != other:
                acc.set_result("OCID", ocid, CODE, 1.0)
                for tenderer_id in sorted(ids | other):  # a stable output order, run after run
                    acc.set_result("Tenderer", tenderer_id, CODE, 1.0)
            prices[price] = ids

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    no_price_comparison_procurement_methods: tuple[str, ...] = ()
    price_comparison_procurement_methods: tuple[str, ...] = ()
    retention_days: int = 90


RULE = process_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="不同投标人报价完全相同",
        title_en="Identical bid prices",
        citation="OCP Red Flags R028 (OCP Cardinal); 《政府采购法实施条例》第七十四条：供应商之间协商报价属于恶意串通",
        kind=RuleKind.JOIN,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    cardinal_judge(
        lambda params: Indicator(price_comparison_settings(params)),
        lambda params: Verdict(Decimal(1), Comparison.EQ),
    ),
)
