"""R030 · 逾期投标中标 / Late bid won (OCP Cardinal)

A valid bid's ``date`` is after ``tenderPeriod.endDate`` and its tenderer is a
supplier of an active award. As in Cardinal, the two dates are compared as
strings (lexicographically), which is exact when both use the same offset, as
Qinglian's contracts do (+08:00).

Cardinal: OCID = 1.0 and the tenderer = 1.0. Streaming: per process, evaluated
once the award is decided; subject: the tender.
Source: OCP red flag R030; cardinal-rs ``src/indicators/r030.rs``; 政府采购法实施条例 (逾期送达的投标文件应拒收).
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
    bid_details,
    mapping,
    text,
)
from services.detectors.rules.ocds.processes import Verdict, cardinal_judge, process_rule
from services.detectors.rules.ocds.releases import PROCESS_EVENTS

CODE = "R030"


@dataclass
class Indicator:
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls()

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        end_date = text(mapping(mapping(release, "tender"), "tenderPeriod"), "endDate")
        awards = array(release, "awards")
        details = bid_details(release)
        if end_date is None or awards is None or details is None:
            return
        suppliers = {
            supplier_id
            for award in awards
            if text(award, "status") == "active"
            and (listed := array(award, "suppliers")) is not None
            for supplier in listed
            if (supplier_id := text(supplier, "id")) is not None
        }
        for bid in details:
            date, tenderers = text(bid, "date"), array(bid, "tenderers")
            if (
                text(bid, "status") != "valid"
                or date is None
                or tenderers is None
                or not date > end_date
            ):
                continue
            for tenderer in tenderers:
                tenderer_id = text(tenderer, "id")
                if tenderer_id is not None and tenderer_id in suppliers:
                    acc.set_result("OCID", ocid, CODE, 1.0)
                    acc.set_result("Tenderer", tenderer_id, CODE, 1.0)

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    retention_days: int = 90


RULE = process_rule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="逾期提交的投标中标",
        title_en="Late bid won",
        citation="OCP Red Flags R030 (OCP Cardinal); 《招标投标法》第二十八条：逾期送达的投标文件，招标人应当拒收",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    cardinal_judge(
        lambda params: Indicator(),
        lambda params: Verdict(Decimal(1), Comparison.EQ),
    ),
)
