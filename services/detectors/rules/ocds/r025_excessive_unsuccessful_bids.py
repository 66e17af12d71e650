"""R025 · 投标人屡投不中 / Excessive unsuccessful bids (OCP Cardinal)

For each tenderer with valid single-tenderer bids in processes that have final
awards and one active award to one supplier: wins / valid bids (each process
counted once). A tenderer is flagged when its ratio is at or below the lower
fence Q1 − 1.5·IQR of all tenderers' ratios (``threshold`` replaces it) and its
number of bids is at or above the ``percentile``-th percentile (75) of all
tenderers' counts. Skipped when Q1 ≤ 0 or the fence ≤ 0. A frequent loser may
be a cover bidder (陪标).

Cardinal: Tenderer = ratio; Meta q1, q3, lower_fence, upper_fence (the
percentile). Streaming: population rule per district and window; subject: the
tenderer (school: none, tenderers work across schools).
Source: OCP red flag R025; cardinal-rs ``src/indicators/r025.rs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    CardinalSettings,
    Release,
    array,
    lower_fence,
    or_default,
    quantile,
    quartile_fence,
    section_number,
    sole_supplier_and_bids,
    text,
)
from services.detectors.rules.ocds.populations import (
    GroupAlert,
    PopulationParameters,
    optional_float,
    population_rule,
)
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R025"


@dataclass
class Indicator:
    percentile: int = 75
    threshold: float | None = None
    wins: dict[str, list[int]] = field(default_factory=dict)
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls(
            or_default(section_number(section, CODE, "percentile", int), 75),
            section_number(section, CODE, "threshold", float),
        )

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        awarded = sole_supplier_and_bids(release)
        if awarded is None:
            return
        supplier_id, details = awarded
        valid = set()
        for bid in details:
            tenderers = array(bid, "tenderers")
            if (
                text(bid, "status") == "valid"
                and tenderers is not None
                and len(tenderers) == 1
                and (tenderer_id := text(tenderers[0], "id")) is not None
            ):
                valid.add(tenderer_id)
        for tenderer_id in valid:
            fraction = self.wins.setdefault(tenderer_id, [0, 0])
            fraction[0] += supplier_id == tenderer_id
            fraction[1] += 1

    def finalize(self, acc: Accumulator) -> None:
        bids_fence = quantile(
            [float(bids) for _, bids in self.wins.values()], self.percentile / 100.0
        )
        ratios = {tenderer_id: won / bids for tenderer_id, (won, bids) in self.wins.items()}
        q1, fence = quartile_fence(acc, CODE, ratios.values(), self.threshold, lower_fence)
        acc.set_meta(CODE, "upper_fence", bids_fence)
        acc.set_meta(CODE, "lower_fence", fence)
        if (q1 is None or q1 > 0.0) and fence > 0.0:
            for tenderer_id, ratio in ratios.items():
                if self.wins[tenderer_id][1] >= bids_fence and ratio <= fence:
                    acc.set_result("Tenderer", tenderer_id, CODE, ratio)


@dataclass(frozen=True)
class Parameters(PopulationParameters):
    percentile: int = 75
    threshold: Decimal | None = None


RULE = population_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="投标人屡投不中（疑似陪标）",
        title_en="Excessive unsuccessful bids",
        citation="OCP Red Flags R025 (OCP Cardinal); 《政府采购法实施条例》第七十四条 (陪标、串通投标)",
        kind=RuleKind.WINDOWED,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
        global_state=True,
    ),
    lambda params: [Indicator(params.percentile, optional_float(params.threshold))],
    {"Tenderer": GroupAlert("lower_fence", Comparison.LE)},
)
