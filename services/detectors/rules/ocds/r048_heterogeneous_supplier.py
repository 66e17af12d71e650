"""R048 · 供应商经营范围异常宽泛 / Heterogeneous supplier (OCP Cardinal)

For each supplier of active single-supplier awards: the number of distinct
item-classification prefixes (first ``digits`` characters, 2) it was awarded,
among suppliers seen in at least ``minimum_contracting_processes`` (20)
processes. Flagged at or above the upper fence Q3 + 1.5·IQR (``threshold``
replaces it). A supplier that wins everything from food to furniture may be a
shell or a front company (皮包公司).

Cardinal: Tenderer = count; Meta q1, q3, upper_fence. Streaming: population
rule per district and window; subject: the supplier.
Source: OCP red flag R048; cardinal-rs ``src/indicators/r048.rs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    CardinalSettings,
    Release,
    array,
    mapping,
    or_default,
    quartile_fence,
    section_number,
    text,
    upper_fence,
)
from services.detectors.rules.ocds.populations import (
    GroupAlert,
    PopulationParameters,
    population_rule,
)
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R048"


@dataclass
class Indicator:
    digits: int = 2
    threshold: int | None = None
    minimum_contracting_processes: int = 20
    processes: dict[str, int] = field(default_factory=dict)
    codes: dict[str, set[str]] = field(default_factory=dict)
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls(
            or_default(section_number(section, CODE, "digits", int), 2),
            section_number(section, CODE, "threshold", int),
            or_default(section_number(section, CODE, "minimum_contracting_processes", int), 20),
        )

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        observed: set[str] = set()
        for award in array(release, "awards") or []:
            items, suppliers = array(award, "items"), array(award, "suppliers")
            if (
                text(award, "status") != "active"
                or items is None
                or suppliers is None
                or len(suppliers) != 1
            ):
                continue
            supplier_id = text(suppliers[0], "id")
            if supplier_id is None:
                continue
            for item in items:
                classification_id = text(mapping(item, "classification"), "id")
                if classification_id is None:
                    continue
                if supplier_id not in observed:
                    observed.add(supplier_id)
                    self.processes[supplier_id] = self.processes.get(supplier_id, 0) + 1
                self.codes.setdefault(supplier_id, set()).add(classification_id[: self.digits])

    def finalize(self, acc: Accumulator) -> None:
        lengths = {
            supplier_id: float(len(self.codes[supplier_id]))
            for supplier_id, count in self.processes.items()
            if count >= self.minimum_contracting_processes
        }
        _, fence = quartile_fence(acc, CODE, lengths.values(), self.threshold, upper_fence)
        acc.set_meta(CODE, "upper_fence", fence)
        for supplier_id, length in lengths.items():
            if length >= fence:
                acc.set_result("Tenderer", supplier_id, CODE, length)


@dataclass(frozen=True)
class Parameters(PopulationParameters):
    digits: int = 2
    threshold: int | None = None
    minimum_contracting_processes: int = 20


RULE = population_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="供应商中标品目异常宽泛",
        title_en="Heterogeneous supplier",
        citation="OCP Red Flags R048 (OCP Cardinal): supplier awarded unusually diverse item categories",
        kind=RuleKind.WINDOWED,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
        global_state=True,
    ),
    lambda params: [
        Indicator(params.digits, params.threshold, params.minimum_contracting_processes)
    ],
    {"Tenderer": GroupAlert("upper_fence", Comparison.GE)},
)
