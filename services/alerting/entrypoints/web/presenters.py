"""Evidence and times as people read them: field labels, amounts in 元 (stored in 分), local times.

Detectors keep money as integer fen (``*_fen``) and times as ISO 8601 with an
offset; inspectors read yuan with thousands separators and Beijing time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from services.alerting.domain.alerts import Alert

_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")

# Keys the detectors put in ``details``; a key not listed is shown as written.
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "amount": ("金额", "Amount"),
    "total_amount": ("总金额", "Total amount"),
    "value": ("金额", "Value"),
    "unit_price": ("单价", "Unit price"),
    "standard": ("标准", "Standard"),
    "income": ("收入", "Income"),
    "spent": ("支出", "Spent"),
    "surplus": ("结余", "Surplus"),
    "claimed": ("申报金额", "Claimed"),
    "district_median": ("全区中位数", "District median"),
    "unit": ("单位", "Unit"),
    "finding": ("发现", "Finding"),
    "check": ("核查项", "Check"),
    "inspector_count": ("验收人数", "Inspectors"),
    "purchaser_inspected": ("采购人参与验收", "Purchaser inspected"),
    "fee_item": ("收费项目", "Fee item"),
    "fee_category": ("收费类别", "Fee category"),
    "grade": ("年级", "Grade"),
    "class_name": ("班级", "Class"),
    "term": ("学期", "Term"),
    "school_year": ("学年", "School year"),
    "fiscal_year": ("财政年度", "Fiscal year"),
    "month": ("月份", "Month"),
    "voucher_id": ("凭证号", "Voucher"),
    "payroll_id": ("工资单号", "Payroll"),
    "plan_id": ("计划编号", "Plan"),
    "procurement_method": ("采购方式", "Procurement method"),
    "tender_period": ("投标期", "Tender period"),
    "role": ("角色", "Role"),
    "acted_at": ("操作时间", "Acted at"),
    "service_date": ("供餐日期", "Service date"),
    "meal": ("餐次", "Meal"),
    "meals": ("餐数", "Meals"),
    "student_meals": ("学生餐数", "Student meals"),
    "enrolled": ("在籍人数", "Enrolled"),
    "roster_taken_at": ("名册时间", "Roster taken"),
    "guests": ("来宾人数", "Guests"),
    "companions": ("陪同人数", "Companions"),
    "reception_date": ("接待日期", "Reception date"),
    "book": ("账面数", "Book"),
    "counted": ("盘点数", "Counted"),
    "ratio": ("比例", "Ratio"),
    "lines": ("条目数", "Lines"),
    "population": ("样本数", "Population"),
    "matched": ("命中", "Matched"),
    "voluntary": ("自愿", "Voluntary"),
    "tier": ("档次", "Tier"),
    "snapshot_date": ("快照日期", "Snapshot date"),
}


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


def local_time(moment: datetime | None, timezone: tzinfo) -> str:
    return "—" if moment is None else moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def yuan_from_fen(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f} 元"


def duration_text(span: timedelta | None, english: bool) -> str:
    if span is None:
        return "—"
    days = span.total_seconds() / 86400
    if days >= 1:
        return f"{days:.1f} {'days' if english else '天'}"
    return f"{span.total_seconds() / 3600:.1f} {'hours' if english else '小时'}"


def detail_fields(details: dict[str, Any], timezone: tzinfo, english: bool) -> list[Field]:
    return [
        Field(_label(key, english), _value(key, value, timezone, english))
        for key, value in details.items()
    ]


def evidence_fields(alert: Alert, timezone: tzinfo, english: bool) -> list[Field]:
    """One alert (a triggering observation) as labelled, readable fields."""
    unit = alert.details.get("unit")
    suffix = f" {unit}" if isinstance(unit, str) else ""

    def label(zh: str, en: str) -> str:
        return en if english else zh

    fields = [
        Field(label("规则", "Rule"), f"{alert.rule_id} v{alert.rule_version}"),
        Field(
            label("实测值 / 阈值", "Measured / threshold"),
            f"{alert.measured_value}{suffix} {alert.comparison} {alert.threshold}{suffix}",
        ),
        Field(label("发生时间", "Event time"), local_time(alert.event_time, timezone)),
        Field(label("发现时间", "Detected"), local_time(alert.detected_at, timezone)),
    ]
    if alert.window is not None:
        start, end = (
            local_time(alert.window.start, timezone),
            local_time(alert.window.end, timezone),
        )
        fields.append(Field(label("统计区间", "Window"), f"{start} – {end}"))
    fields += detail_fields(alert.details, timezone, english)
    fields.append(Field(label("原始事件", "Source events"), "、".join(alert.evidence_event_ids)))
    return fields


def _label(key: str, english: bool) -> str:
    base = key.removesuffix("_fen").removesuffix("_yuan")
    zh, en = DETAIL_LABELS.get(base, (key, key.replace("_", " ").capitalize()))
    return en if english else zh


def _value(key: str, value: Any, timezone: tzinfo, english: bool) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if english else ("是" if value else "否")
    if key.endswith("_fen") and isinstance(value, int):
        return yuan_from_fen(value)
    if key.endswith("_yuan") and isinstance(value, int | float | str):
        return f"{value} 元"
    if isinstance(value, str) and _ISO_TIME.fullmatch(value):
        return local_time(datetime.fromisoformat(value), timezone)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return "—" if value is None else str(value)
