"""R024 · 次低价与中标价过于接近 / Price close to winning bid (OCP Cardinal)

For processes with final awards, one active award to one supplier whose bid was
the lowest, the ratio (second-lowest valid bid − winning bid) / winning bid is
computed; processes whose ratio is at or below the lower fence
Q1 − 1.5·IQR of all ratios are flagged (``threshold`` replaces the fence). The
indicator is skipped when Q1 ≤ 0 or the fence ≤ 0, since then most processes
would be flagged. Quartiles are Hyndman–Fan type 8.

Cardinal: OCID = ratio; the winner and runner-up = 0.0; Meta q1, q3, lower_fence.
Streaming: population rule over a district's processes decided in a window
(``window_months``); each alert carries the window's q1, q3 and fence.
Source: OCP red flag R024; cardinal-rs ``src/indicators/r024.rs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    SecondLowestBidRatio,
    SecondLowestBidRatioOutliers,
    lower_fence,
    quartile_fence,
)
from services.detectors.rules.ocds.populations import (
    GroupAlert,
    PricedPopulationParameters,
    optional_float,
    population_rule,
)
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R024"


@dataclass
class Indicator(SecondLowestBidRatioOutliers):
    code: str = CODE

    def finalize(self, acc: Accumulator) -> None:
        ratios = acc.second_lowest_bid_ratios
        q1, fence = quartile_fence(acc, CODE, ratios.values(), self.threshold, lower_fence)
        acc.set_meta(CODE, "lower_fence", fence)
        if (q1 is None or q1 > 0.0) and fence > 0.0:
            for ocid, ratio in ratios.items():
                if ratio <= fence:
                    acc.set_result("OCID", ocid, CODE, ratio)
                    for tenderer_id in acc.winner_and_lowest_non_winner[ocid]:
                        acc.set_result("Tenderer", tenderer_id, CODE, 0.0)


Parameters = PricedPopulationParameters


RULE = population_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="次低报价与中标价过于接近",
        title_en="Price close to winning bid",
        citation="OCP Red Flags R024 (OCP Cardinal): second-lowest bid unusually close to the winning bid (串通投标信号)",
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
    {"OCID": GroupAlert("lower_fence", Comparison.LE)},
)
