"""C6 · 大宗食材验收不足两人或由采购人验收 / Bulk delivery inspected by fewer than two people or by the purchaser

A bulk food delivery (大宗食材, ``is_bulk``) must be checked jointly by at least
two people (双人或多人联检, 集体验收), and the person who ordered the goods may
not be one of the checkers. The rule counts the distinct inspectors other than
the purchaser on each ``canteen.inbound_inspection`` and alerts when there are
fewer than ``minimum_inspectors``; the alert's details say whether the
purchaser signed the record.

Kind: single event. Subject: the supplier; one alert per inspection record.
Source: 教育部·市场监管总局《学校食堂大宗食材采购验收管理工作指引》(2025) ◐.
Not covered: the supplier blacklist check (严重违法失信名单), which needs a registry feed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from services.detectors.core.findings import finding, yuan
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


@dataclass(frozen=True)
class Parameters:
    minimum_inspectors: int = 2


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    if not data["is_bulk"]:
        return
    purchaser = data["purchaser"]["staff_id"]
    inspectors = {inspector["staff_id"] for inspector in data["inspectors"]}
    independent = inspectors - {purchaser}
    if len(independent) < params.minimum_inspectors:
        yield finding(
            event,
            subject=(SubjectKind.VENDOR, data["supplier"]["id"]),
            measured=len(independent),
            threshold=params.minimum_inspectors,
            comparison=Comparison.LT,
            record_id=data["inspection_id"],
            details={
                "inspection_id": data["inspection_id"],
                "inspectors": len(inspectors),
                "purchaser_inspected": purchaser in inspectors,
                "total_amount_yuan": yuan(data["total_amount_fen"]),
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="C6",
        version="1.0.0",
        title_zh="大宗食材验收不足两人或由采购人验收",
        title_en="Bulk food delivery inspected by fewer than two people or by the purchaser",
        citation="《学校食堂大宗食材采购验收管理工作指引》(2025)：双人或多人联检，集体验收",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({"cn.edu.qinglian.canteen.inbound_inspection.v1"}),
        doc=__doc__,
    ),
    evaluate,
)
