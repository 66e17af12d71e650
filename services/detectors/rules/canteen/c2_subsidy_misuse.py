"""C2 · 营养膳食补助挪作他用 / Nutrition subsidy spent on anything but food

The nutrition-plan meal subsidy may only buy food for students: no cash to
students or parents, no staff meals, labour, transport, publicity or school
running costs. Every ``canteen.subsidy_spending`` paid from a restricted fund
(``restricted_funds``) whose category is not in ``allowed_categories`` is alerted.

Kind: single event. Subject: the payee (vendor, or the pseudonymized account of
a person); one alert per spending record. Amounts in 元.
Source: 国办发〔2011〕54号 "不得以现金形式直接发放给学生个人和家长" ✔; 重庆 2021
"不得用于补贴教职工和城市学生伙食、弥补学校公用经费和开支聘用人员费用" ◐.
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

SPENDING = "cn.edu.qinglian.canteen.subsidy_spending.v1"


@dataclass(frozen=True)
class Parameters:
    restricted_funds: tuple[str, ...] = ("nutrition_subsidy_central", "nutrition_subsidy_local")
    allowed_categories: tuple[str, ...] = ("food",)


def payee_subject(payee: dict) -> tuple[SubjectKind, str]:
    if payee.get("org_id"):
        return SubjectKind.VENDOR, payee["org_id"]
    return SubjectKind.ACCOUNT, payee["account_no"]


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    if (
        data["fund_source"] in params.restricted_funds
        and data["expense_category"] not in params.allowed_categories
    ):
        yield finding(
            event,
            subject=payee_subject(data["payee"]),
            measured=yuan(data["amount_fen"]),
            threshold=0,
            comparison=Comparison.GT,
            record_id=data["spending_id"],
            details={
                "fund_source": data["fund_source"],
                "expense_category": data["expense_category"],
                "payee_type": data["payee"]["payee_type"],
                "unit": "元",
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="C2",
        version="1.0.0",
        title_zh="营养膳食补助用于非食品支出",
        title_en="Nutrition subsidy spent on anything but food",
        citation="国办发〔2011〕54号：膳食补助全额用于为学生提供食品，不得以现金形式直接发放给学生个人和家长",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.RED,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({SPENDING}),
        doc=__doc__,
    ),
    evaluate,
)
