"""F2 · 收取禁止收费项目 / Fees on the forbidden list

Handouts, test papers, e-reading, computer use, heating, cooling, drinking
water and campus security may never be charged as service fees or collected on
anyone's behalf. A ``finance.fee_charge`` whose item name contains one of
``forbidden_keywords`` is alerted.

Kind: single event. Subject: the student (pseudonym); one alert per charge.
Amounts in 元.
Source: 教财〔2010〕4号 "严禁将讲义资料、试卷、电子阅览、计算机上机、取暖、降温、饮水、校园安全保卫等作为服务性收费和代收费事项" ◐.
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
    forbidden_keywords: tuple[str, ...] = (
        "讲义",
        "资料",
        "试卷",
        "电子阅览",
        "上机",
        "计算机",
        "取暖",
        "降温",
        "空调",
        "饮水",
        "安全保卫",
        "保安",
    )


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    matched = [word for word in params.forbidden_keywords if word in data["fee_item_name"]]
    if matched:
        yield finding(
            event,
            subject=(SubjectKind.STUDENT, data["student"]["student_id"]),
            measured=yuan(data["amount_fen"]),
            threshold=0,
            comparison=Comparison.GT,
            record_id=data["charge_id"],
            details={"fee_item": data["fee_item_name"], "matched": matched, "unit": "元"},
        )


RULE = SingleEventRule(
    RuleMeta(
        id="F2",
        version="1.0.0",
        title_zh="收取明令禁止的收费项目",
        title_en="Fee charged for a forbidden item",
        citation="教财〔2010〕4号：严禁将讲义资料、试卷、电子阅览、计算机上机、取暖、降温、饮水、校园安全保卫等作为服务性收费和代收费事项",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.RED,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({FEE_CHARGE}),
        doc=__doc__,
    ),
    evaluate,
)
