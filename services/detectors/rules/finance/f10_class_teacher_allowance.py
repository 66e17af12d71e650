"""F10 · 班主任津贴低于标准 / Class-teacher allowance below the standard

Class teachers (班主任) receive at least ``minimum_monthly_yuan`` (500 元) a
month. On each ``finance.payroll_allowance``, every staff member paid in the
role ``class_teacher`` whose ``class_teacher_allowance`` lines total less than
the minimum is alerted (a class teacher with no such line at all counts as 0).

Kind: single event (one payroll per month). Subject: the staff member
(pseudonym); one alert per staff member and month. Amounts in 元.
Source: 兴县 plan (per the brief) ✘; nationally inside performance pay (教基一〔2009〕12号) ✘.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.detectors.core.eventtime import month_window, start_of
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

PAYROLL = "cn.edu.qinglian.finance.payroll_allowance.v1"


@dataclass(frozen=True)
class Parameters:
    minimum_monthly_yuan: Decimal = Decimal(500)


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    totals: dict[str, int] = {}
    for line in data["lines"]:
        staff_id = line["staff"]["staff_id"]
        if line["role"] == "class_teacher":
            totals.setdefault(staff_id, 0)
        if line["allowance_type"] == "class_teacher_allowance":
            totals[staff_id] = totals.get(staff_id, 0) + line["amount_fen"]
    year, month = map(int, data["month"].split("-"))
    window = month_window(start_of(date(year, month, 1)))
    for staff_id, total in sorted(totals.items()):
        if yuan(total) < params.minimum_monthly_yuan:
            yield finding(
                event,
                subject=(SubjectKind.STAFF, staff_id),
                measured=yuan(total),
                threshold=params.minimum_monthly_yuan,
                comparison=Comparison.LT,
                window=window,
                details={"month": data["month"], "payroll_id": data["payroll_id"], "unit": "元"},
            )


RULE = SingleEventRule(
    RuleMeta(
        id="F10",
        version="1.0.0",
        title_zh="班主任津贴低于每月标准",
        title_en="Class-teacher allowance below the monthly standard",
        citation="班主任津贴不低于每月500元（兴县方案）；教基一〔2009〕12号：绩效工资分配向班主任倾斜",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.YELLOW,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({PAYROLL}),
        doc=__doc__,
    ),
    evaluate,
)
