"""R036 · 最低报价被取消资格 / Lowest bid disqualified (OCP Cardinal)

The process has an active award, a valid bid with a price exists, and the
lowest-priced submitted bid was disqualified. Ties go to the first bid in
document order (bids are listed in bid-id order here). Bids in a currency other
than the main one (``currency``, else the first observed) are skipped; processes
whose method detail is not price-compared are skipped.

Cardinal: OCID = 1.0. Streaming: per process, evaluated once the award is
decided; subject: the tender.
Source: OCP red flag R036; cardinal-rs ``src/indicators/r036.rs``.
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

CODE = "R036"


@dataclass
class Indicator(PriceComparisonIndicator):
    code: str = CODE

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        if not any(text(award, "status") == "active" for award in array(release, "awards") or []):
            return
        lowest: float | None = None
        lowest_disqualified = False
        has_valid_priced_bid = False
        for bid, amount, currency in compared_bid_prices(release, self.settings):
            if not acc.accepts_currency(currency, self.settings.currency):
                continue
            status = text(bid, "status")
            if lowest is None or float(amount) < lowest:
                lowest, lowest_disqualified = float(amount), status == "disqualified"
            has_valid_priced_bid = has_valid_priced_bid or status == "valid"
        if has_valid_priced_bid and lowest_disqualified:
            acc.set_result("OCID", ocid, CODE, 1.0)

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    currency: str = "CNY"
    no_price_comparison_procurement_methods: tuple[str, ...] = ()
    price_comparison_procurement_methods: tuple[str, ...] = ()
    retention_days: int = 90


RULE = process_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="最低报价投标被取消资格",
        title_en="Lowest bid disqualified",
        citation="OCP Red Flags R036 (OCP Cardinal); 《政府采购法实施条例》第四十一条：评审应按照采购文件规定的标准进行",
        kind=RuleKind.JOIN,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    cardinal_judge(
        lambda params: Indicator(price_comparison_settings(params, params.currency)),
        lambda params: Verdict(Decimal(1), Comparison.EQ),
    ),
)
