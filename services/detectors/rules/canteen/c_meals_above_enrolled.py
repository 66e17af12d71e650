"""C_MEALS · 就餐人次超过在籍学生数 / Meals served above the number of enrolled students

A meal cannot feed more students than the school has. Each
``canteen.meal_service`` is joined with the school's latest
``enrollment.roster_snapshot`` taken at or before it (event time), and alerted
when its student meals exceed total students × (1 + ``tolerance``). Services
with no earlier snapshot cannot be judged and are dropped.

Kind: join (key: the school). Emits when the watermark passes the meal, so a
snapshot arriving out of order within the lateness is taken into account.
Subject: the school; one alert per meal service.
Source: discipline-inspection pattern "就餐人次与在校学生数不符" (meals vs headcount) ✘.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.eventtime import format_time, parse_time
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
)
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

MEAL_SERVICE = "cn.edu.qinglian.canteen.meal_service.v1"
ROSTER = "cn.edu.qinglian.enrollment.roster_snapshot.v1"


@dataclass(frozen=True)
class Parameters:
    tolerance: Decimal = Decimal(0)


def state_keys(event: Event, params: Parameters) -> list[str]:
    return [school_key(event, "headcount")]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "rosters": {}, "meals": {}}
    if event["type"] == ROSTER:
        state["rosters"][format_time(parse_time(data["taken_at"]))] = [
            data["total_students"],
            event["id"],
        ]
    elif ctx.watermark is None or parse_time(data["served_at"]) > ctx.watermark:
        state["meals"][data["service_id"]] = [
            format_time(parse_time(data["served_at"])),
            data["student_meals"],
            event["id"],
            data["meal"],
        ]
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    findings: list[Finding] = []
    rosters = sorted(
        (parse_time(t), count, event_id) for t, (count, event_id) in state["rosters"].items()
    )
    for service_id, (served, meals, event_id, meal) in sorted(state["meals"].items()):
        served_at = parse_time(served)
        if ctx.watermark is None or served_at > ctx.watermark:
            continue
        del state["meals"][service_id]
        earlier = [r for r in rosters if r[0] <= served_at]
        if not earlier:
            continue
        taken, enrolled, roster_event = earlier[-1]
        limit = Decimal(enrolled) * (1 + ctx.params.tolerance)
        if meals > limit:
            findings.append(
                stored_finding(
                    state,
                    subject=(SubjectKind.SCHOOL, state["school"]),
                    measured=Decimal(meals),
                    threshold=limit,
                    comparison=Comparison.GT,
                    evidence=[event_id, roster_event],
                    moment=served_at,
                    record_id=service_id,
                    details={
                        "meal": meal,
                        "enrolled": enrolled,
                        "roster_taken_at": format_time(taken),
                    },
                )
            )
    if ctx.watermark is not None:
        kept = [r for r in rosters if r[0] > ctx.watermark]
        latest_before = [r for r in rosters if r[0] <= ctx.watermark][-1:]
        state["rosters"] = {format_time(t): [count, e] for t, count, e in latest_before + kept}
    pending = [parse_time(served) for served, *_ in state["meals"].values()]
    return Step(state, min(pending) if pending else None, tuple(findings))


RULE = StatefulRule(
    RuleMeta(
        id="C_MEALS",
        version="1.0.0",
        title_zh="就餐人次超过在籍学生数",
        title_en="Meals served above the number of enrolled students",
        citation="营养改善计划按实际就餐人数核算；就餐人次与在校学生数不符为虚报冒领信号（纪检监督实践）",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({MEAL_SERVICE, ROSTER}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
