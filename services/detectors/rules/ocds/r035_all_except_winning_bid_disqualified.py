"""R035 · 除中标人外投标均被取消资格 / All except the winning bid disqualified (OCP Cardinal)

Exactly one tenderer has valid bids, that tenderer is the set of suppliers of
the process's active awards, and at least ``threshold`` (≥ 1) other tenderers
were disqualified. Only processes whose awards are all final count (a pending
award excludes the process; awards without a status are ignored).

Cardinal: OCID = number of disqualified others; the winner = 0.0. Streaming:
per process, evaluated once the award is decided; subject: the tender.
Source: OCP red flag R035; cardinal-rs ``src/indicators/r035.rs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    CardinalSettings,
    Release,
    array,
    complete_awards_if_all_final,
    or_default,
    section_number,
    text,
)
from services.detectors.rules.ocds.processes import Verdict, cardinal_judge, process_rule
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R035"


@dataclass
class Indicator:
    threshold: int = 1
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls(max(or_default(section_number(section, CODE, "threshold", int), 1), 1))

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        suppliers: set[str] = set()
        valid: set[str] = set()
        disqualified: set[str] = set()
        final = complete_awards_if_all_final(release)
        if final is not None:
            awards, details = final
            suppliers = {
                i
                for a in awards
                for s in array(a, "suppliers") or []
                if (i := text(s, "id")) is not None
            }
            for bid in details:
                status, tenderers = text(bid, "status"), array(bid, "tenderers")
                target = {"valid": valid, "disqualified": disqualified}.get(status or "")
                if target is not None and tenderers is not None:
                    target.update(i for t in tenderers if (i := text(t, "id")) is not None)
        others = len(disqualified - valid)
        if len(valid) == 1 and valid == suppliers and others >= max(self.threshold, 1):
            acc.set_result("OCID", ocid, CODE, float(others))
            acc.set_result("Tenderer", next(iter(valid)), CODE, 0.0)

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    threshold: int = 1
    retention_days: int = 90


RULE = process_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="除中标人外其余投标均被取消资格",
        title_en="All except the winning bid disqualified",
        citation="OCP Red Flags R035 (OCP Cardinal); 《政府采购法实施条例》第四十一条：评审应按照采购文件规定的标准进行",
        kind=RuleKind.JOIN,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    cardinal_judge(
        lambda params: Indicator(params.threshold),
        lambda params: Verdict(Decimal(max(params.threshold, 1)), Comparison.GE),
    ),
)
