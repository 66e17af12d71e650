"""F4 · 学校代收商业保险费 / Insurance premiums collected by the school

Schools may not collect commercial insurance premiums from students or let
insurers sell on campus; school liability insurance is paid from operating
funds. A ``finance.fee_charge`` in category ``insurance`` collected by the
school itself is alerted.

Kind: single event. Subject: the student (pseudonym); one alert per charge.
Source: 2015 multi-ministry fee document: "严禁各级各类学校代收商业保险费，不得允许保险公司进校设点推销" ◐.
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

FEE_CHARGE = "cn.edu.qinglian.finance.fee_charge.v1"


@dataclass(frozen=True)
class Parameters:
    categories: tuple[str, ...] = ("insurance",)
    collectors: tuple[str, ...] = ("school",)


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    if data["fee_category"] in params.categories and data["collected_by"] in params.collectors:
        yield finding(
            event,
            subject=(SubjectKind.STUDENT, data["student"]["student_id"]),
            measured=yuan(data["amount_fen"]),
            threshold=0,
            comparison=Comparison.GT,
            record_id=data["charge_id"],
            details={
                "fee_item": data["fee_item_name"],
                "voluntary": data["voluntary"],
                "unit": "元",
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="F4",
        version="1.0.0",
        title_zh="学校代收商业保险费",
        title_en="Commercial insurance premiums collected by the school",
        citation="严禁各级各类学校代收商业保险费，不得允许保险公司进校设点推销（2015年多部门收费文件）",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({FEE_CHARGE}),
        doc=__doc__,
    ),
    evaluate,
)
