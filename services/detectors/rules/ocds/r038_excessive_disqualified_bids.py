"""R038 · 被取消资格的投标比例过高 / Excessive disqualified bids (OCP Cardinal)

Disqualified bids / submitted bids, per buyer, per procuring entity and per
tenderer, flagged at or above the upper fence Q3 + 1.5·IQR of each group
(``threshold`` replaces the fences); skipped when a fence ≤ 0. Tenderers need
``minimum_submitted_bids`` bids. Buyers and procuring entities need
``minimum_contracting_processes`` — compared, as in Cardinal's code (a known
doc/code mismatch we keep for equal results), with their *submitted-bid* count.

Cardinal: Buyer / ProcuringEntity / Tenderer = ratio; Meta ``<Group>_q1``,
``<Group>_q3``, ``<Group>_upper_fence``. Streaming: population rule per district
and window; a buyer's alert names its school, others name the organisation.
Source: OCP red flag R038; cardinal-rs ``src/indicators/r038.rs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    BUYER_GROUP,
    PROCURING_ENTITY_GROUP,
    TENDERER_GROUP,
    Accumulator,
    CardinalSettings,
    Release,
    array,
    mapping,
    or_default,
    quartile_fence,
    section_number,
    submitted_bids,
    text,
    upper_fence,
)
from services.detectors.rules.ocds.populations import (
    GroupAlert,
    PopulationParameters,
    optional_float,
    population_rule,
)
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R038"


@dataclass
class Indicator:
    threshold: float | None = None
    minimum_submitted_bids: int = 2
    minimum_contracting_processes: int = 2
    fractions: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: {BUYER_GROUP: {}, PROCURING_ENTITY_GROUP: {}, TENDERER_GROUP: {}}
    )
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls(
            section_number(section, CODE, "threshold", float),
            or_default(section_number(section, CODE, "minimum_submitted_bids", int), 2),
            or_default(section_number(section, CODE, "minimum_contracting_processes", int), 2),
        )

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        bids = submitted_bids(release)
        if not bids:
            return
        disqualified = 0
        for bid in bids:
            increment = int(text(bid, "status") == "disqualified")
            disqualified += increment
            for tenderer in array(bid, "tenderers") or []:
                if (tenderer_id := text(tenderer, "id")) is not None:
                    self._add(TENDERER_GROUP, tenderer_id, increment, 1)
        if (buyer_id := text(mapping(release, "buyer"), "id")) is not None:
            self._add(BUYER_GROUP, buyer_id, disqualified, len(bids))
        entity = mapping(mapping(release, "tender"), "procuringEntity")
        if (entity_id := text(entity, "id")) is not None:
            self._add(PROCURING_ENTITY_GROUP, entity_id, disqualified, len(bids))

    def _add(self, group: str, key: str, numerator: int, denominator: int) -> None:
        fraction = self.fractions[group].setdefault(key, [0, 0])
        fraction[0] += numerator
        fraction[1] += denominator

    def finalize(self, acc: Accumulator) -> None:
        self._flag(acc, BUYER_GROUP, self.minimum_contracting_processes)
        self._flag(acc, PROCURING_ENTITY_GROUP, self.minimum_contracting_processes)
        self._flag(acc, TENDERER_GROUP, self.minimum_submitted_bids)

    def _flag(self, acc: Accumulator, group: str, minimum: int) -> None:
        ratios = {key: n / d for key, (n, d) in self.fractions[group].items() if d >= minimum}
        if not ratios:
            return
        _, fence = quartile_fence(
            acc, CODE, ratios.values(), self.threshold, upper_fence, meta_prefix=f"{group}_"
        )
        acc.set_meta(CODE, f"{group}_upper_fence", fence)
        if fence > 0.0:
            for key, ratio in ratios.items():
                if ratio >= fence:
                    acc.set_result(group, key, CODE, ratio)


@dataclass(frozen=True)
class Parameters(PopulationParameters):
    threshold: Decimal | None = None
    minimum_submitted_bids: int = 2
    minimum_contracting_processes: int = 2


_FLAGGED = GroupAlert("upper_fence", Comparison.GE)

RULE = population_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="被取消资格的投标比例过高",
        title_en="Excessive disqualified bids",
        citation="OCP Red Flags R038 (OCP Cardinal): disqualification ratio far above peers (排斥潜在投标人)",
        kind=RuleKind.WINDOWED,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
        global_state=True,
    ),
    lambda params: [
        Indicator(
            optional_float(params.threshold),
            params.minimum_submitted_bids,
            params.minimum_contracting_processes,
        )
    ],
    {BUYER_GROUP: _FLAGGED, PROCURING_ENTITY_GROUP: _FLAGGED, TENDERER_GROUP: _FLAGGED},
)
