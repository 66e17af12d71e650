"""F8 · 公务接待超标或无公函 / Hospitality without an official letter or with too many companions

Official hospitality needs an official letter (公函); companions are at most
``companions_small_group`` (3) when there are ``small_group_guests`` (10) guests
or fewer, otherwise at most a third of the guests; one working meal only.
Each ``finance.hospitality`` is checked for ``no_letter``, ``too_many_companions``
and ``too_many_meals``.

Kind: single event. Subject: the staff member who approved it; one alert per
reception and finding.
Source: 《党政机关国内公务接待管理规定》(2013) 第六、九条 ✔ (reproduced).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from services.detectors.core.findings import finding
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

HOSPITALITY = "cn.edu.qinglian.finance.hospitality.v1"


@dataclass(frozen=True)
class Parameters:
    small_group_guests: int = 10
    companions_small_group: int = 3
    maximum_meals: int = 1


def allowed_companions(guests: int, params: Parameters) -> int:
    return params.companions_small_group if guests <= params.small_group_guests else guests // 3


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    guests, companions = len(data["guests"]), len({c["staff_id"] for c in data["companions"]})
    checks = [
        ("no_letter", data["letter"] is None, 0, 1, Comparison.LT),
        (
            "too_many_companions",
            companions > allowed_companions(guests, params),
            companions,
            allowed_companions(guests, params),
            Comparison.GT,
        ),
        (
            "too_many_meals",
            data["meals"] > params.maximum_meals,
            data["meals"],
            params.maximum_meals,
            Comparison.GT,
        ),
    ]
    for name, failed, measured, threshold, comparison in checks:
        if failed:
            yield finding(
                event,
                subject=(SubjectKind.STAFF, data["approved_by"]["staff_id"]),
                measured=measured,
                threshold=threshold,
                comparison=comparison,
                record_id=f"{data['hospitality_id']}/{name}",
                details={
                    "finding": name,
                    "guests": guests,
                    "companions": companions,
                    "meals": data["meals"],
                    "reception_date": data["reception_date"],
                },
            )


RULE = SingleEventRule(
    RuleMeta(
        id="F8",
        version="1.0.0",
        title_zh="公务接待无公函或陪餐人数、餐次超标",
        title_en="Official hospitality without a letter or with too many companions or meals",
        citation="《党政机关国内公务接待管理规定》：无公函的公务活动不予接待；接待对象10人以内陪餐不超过3人，超过10人的不超过三分之一",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({HOSPITALITY}),
        doc=__doc__,
    ),
    evaluate,
)
