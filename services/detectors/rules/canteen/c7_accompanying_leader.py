"""C7 · 缺少陪餐记录 / Meal served without an accompanying leader

Every meal needs a school leader eating with the students and a 陪餐 record.
A ``canteen.meal_service`` whose accompanying leaders include fewer than
``minimum_leaders`` people in a leadership role (``leader_roles``) is alerted;
a class teacher eating with the class does not count.

Kind: single event (the meal service carries its 陪餐 records). Subject: the
school; one alert per meal service.
Source: 《学校食品安全与营养健康管理规定》(教育部等三部门令第45号, 2019) 第二十一条:
"每餐均应当有学校相关负责人与学生共同用餐，做好陪餐记录" ✔.
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

MEAL_SERVICE = "cn.edu.qinglian.canteen.meal_service.v1"


@dataclass(frozen=True)
class Parameters:
    minimum_leaders: int = 1
    leader_roles: tuple[str, ...] = (
        "principal",
        "party_secretary",
        "vice_principal",
        "middle_manager",
    )


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    leaders = {
        p["staff_id"] for p in data["accompanying_leaders"] if p["role"] in params.leader_roles
    }
    if len(leaders) < params.minimum_leaders:
        yield finding(
            event,
            subject=(SubjectKind.SCHOOL, event["schoolid"]),
            measured=len(leaders),
            threshold=params.minimum_leaders,
            comparison=Comparison.LT,
            record_id=data["service_id"],
            details={
                "service_date": data["service_date"],
                "meal": data["meal"],
                "student_meals": data["student_meals"],
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="C7",
        version="1.0.0",
        title_zh="用餐无学校负责人陪餐记录",
        title_en="Meal served without an accompanying school leader",
        citation="《学校食品安全与营养健康管理规定》第二十一条：每餐均应当有学校相关负责人与学生共同用餐，做好陪餐记录",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.YELLOW,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({MEAL_SERVICE}),
        doc=__doc__,
    ),
    evaluate,
)
