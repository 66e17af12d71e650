"""R058 · 中标价大幅低于次低价 / Heavily discounted bid (OCP Cardinal)

The same ratio as R024 — (second-lowest valid bid − winning bid) / winning
bid — flagged when it is at or above the upper fence Q3 + 1.5·IQR
(``threshold`` replaces the fence); skipped when the fence ≤ 0. A winning bid
far below every competitor can mean a bid "bought" with a change order later.

Cardinal: OCID = ratio; the winner = 0.0; Meta q1, q3, upper_fence.
Streaming: population rule over a district's processes decided in a window
(``window_months``); each alert carries the window's q1, q3 and fence.
Source: OCP red flag R058; cardinal-rs ``src/indicators/r058.rs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    SecondLowestBidRatio,
    SecondLowestBidRatioOutliers,
    quartile_fence,
    upper_fence,
)
from services.detectors.rules.ocds.populations import (
    GroupAlert,
    PricedPopulationParameters,
    optional_float,
    population_rule,
)
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R058"


@dataclass
class Indicator(SecondLowestBidRatioOutliers):
    code: str = CODE

    def finalize(self, acc: Accumulator) -> None:
        ratios = acc.second_lowest_bid_ratios
        _, fence = quartile_fence(acc, CODE, ratios.values(), self.threshold, upper_fence)
        acc.set_meta(CODE, "upper_fence", fence)
        if fence > 0.0:
            for ocid, ratio in ratios.items():
                if ratio >= fence:
                    acc.set_result("OCID", ocid, CODE, ratio)
                    acc.set_result("Tenderer", acc.winner_and_lowest_non_winner[ocid][0], CODE, 0.0)


Parameters = PricedPopulationParameters


RULE = population_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="中标价大幅低于次低报价",
        title_en="Heavily discounted bid",
        citation="OCP Red Flags R058 (OCP Cardinal): winning bid far below the other bids (低价中标、事后变更风险)",
        kind=RuleKind.WINDOWED,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
        global_state=True,
    ),
    lambda params: [
        SecondLowestBidRatio(params.cardinal_settings()),
        Indicator(optional_float(params.threshold)),
    ],
    {"OCID": GroupAlert("upper_fence", Comparison.GE)},
)
