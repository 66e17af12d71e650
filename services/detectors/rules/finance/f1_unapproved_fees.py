"""F1 · 收费项目未经批准或超标准 / Fees not on the approved list or above the standard

Compulsory education (grades 1–``compulsory_grades``) charges no tuition or
miscellaneous fees. Any other fee a school collects itself must match the
published approved list: it needs an approving document and a standard, and may
not exceed the standard. Each ``finance.fee_charge`` is checked:
``tuition_in_compulsory``, ``not_approved`` (no approving document or no
standard) or ``above_standard``.

Kind: single event. Subject: the student (pseudonym); one alert per charge and
finding. Amounts in 元.
Source: 义务教育法第二条 "实施义务教育，不收学费、杂费" ✔; 收费公示与批准标准 (e.g. 渝价〔2013〕71号).
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
    compulsory_grades: int = 9
    forbidden_in_compulsory: tuple[str, ...] = ("tuition", "miscellaneous")
    approval_exempt_categories: tuple[str, ...] = (
        "agency_collection",
        "meal",
        "uniform",
        "teaching_materials",
        "insurance",
    )


def violations(
    data: dict, params: Parameters
) -> Iterator[tuple[str, int, int | None, Comparison, Severity | None]]:
    """(finding, measured fen, threshold fen, comparison, severity) for one charge."""
    amount, standard = data["amount_fen"], data["standard_fen"]
    if (
        data["grade"] <= params.compulsory_grades
        and data["fee_category"] in params.forbidden_in_compulsory
    ):
        yield "tuition_in_compulsory", amount, 0, Comparison.GT, Severity.RED
        return
    if (
        data["collected_by"] != "school"
        or data["fee_category"] in params.approval_exempt_categories
    ):
        return
    if data["approval_document"] is None or standard is None:
        yield "not_approved", amount, 0, Comparison.GT, None
    elif amount > standard:
        yield "above_standard", amount, standard, Comparison.GT, None


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    for name, measured, threshold, comparison, severity in violations(data, params):
        yield finding(
            event,
            subject=(SubjectKind.STUDENT, data["student"]["student_id"]),
            measured=yuan(measured),
            threshold=yuan(threshold),
            comparison=comparison,
            record_id=f"{data['charge_id']}/{name}",
            severity=severity,
            details={
                "finding": name,
                "fee_item": data["fee_item_name"],
                "fee_category": data["fee_category"],
                "grade": data["grade"],
                "unit": "元",
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="F1",
        version="1.0.0",
        title_zh="收费项目未经批准、超标准或义务教育收取学杂费",
        title_en="Fee not on the approved list, above its standard, or tuition in compulsory education",
        citation="《义务教育法》第二条：实施义务教育，不收学费、杂费；收费须按批准的项目和标准执行",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({FEE_CHARGE}),
        doc=__doc__,
    ),
    evaluate,
)
