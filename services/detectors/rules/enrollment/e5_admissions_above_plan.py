"""E5 · 招生超出核定计划 / Admissions above the approved plan

A school may admit no more students than its approved quota for a grade and
year. The rule joins an ``enrollment.admission_plan`` with the school's
``enrollment.admission`` events on ``plan_id``, counts distinct admissions in
admission order and alerts at the first one beyond the quota. Admissions that
arrive before the plan wait for it. State ends with the school year.

Kind: windowed (per plan, school year; the key counts the admissions, which are
kept in pages until the plan is decided). Emits when the watermark passes the
admission that exceeded the quota. Subject: the school.
Source: 国发〔2016〕40号 "限制班额超标学校招生人数" ✔; admitted ≤ plan (derived) ✘.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from services.detectors.core.crossing import Crossing, is_closed, settle
from services.detectors.core.eventtime import parse_time, start_of
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.ledger import ordered, upsert
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
    Window,
)
from services.detectors.core.pages import PageEdits, shard_of
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

PLAN = "cn.edu.qinglian.enrollment.admission_plan.v1"
ADMISSION = "cn.edu.qinglian.enrollment.admission.v1"


@dataclass(frozen=True)
class Parameters:
    tolerance: int = 0


def school_year(year: int) -> Window:
    return Window(start_of(date(year, 1, 1)), start_of(date(year + 1, 9, 1)))


def state_keys(event: Event, params: Parameters) -> list[str]:
    return [school_key(event, event["data"]["plan_id"])]


ADMISSION_PAGES = 16
"""Admissions are kept in this many pages by a hash of their id (about 170 bytes each)."""


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    window = school_year(data["school_year"])
    if is_closed(window.end, ctx.watermark):
        return on_timer(state, ctx) if state else Step(None)
    state = state or {
        **origin(event),
        "plan": data["plan_id"],
        "year": data["school_year"],
        "grade": data["grade"],
        "admitted": 0,
    }
    pages = PageEdits(ctx.pages)
    if event["type"] == PLAN:
        upsert(state.setdefault("quota", {}), "plan", event, amount=data["approved_quota"])
    elif not state.get("fired"):
        page = shard_of(data["admission_id"], ADMISSION_PAGES)
        entries = dict(pages.get(page) or {})
        is_new = data["admission_id"] not in entries
        moment = parse_time(data["admitted_at"])
        if upsert(entries, data["admission_id"], event, amount=1, moment=moment):
            pages.put(page, entries)
            state["admitted"] += is_new
    return _settle(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _settle(state, PageEdits(ctx.pages), ctx)


def _settle(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    quota = state.get("quota", {}).get("plan")
    crossing = None
    limit = None if quota is None else Decimal(quota["a"]) + ctx.params.tolerance
    if limit is not None and not state.get("fired") and state["admitted"] > limit:
        admissions = ordered({k: v for page in pages.all().values() for k, v in page.items()})
        over = admissions[: int(limit) + 1]
        crossing = Crossing(
            over[-1].time,
            (quota["e"], over[-1].event_id),
            Decimal(len(over)),
            limit,
            {"first_over_quota": over[-1].record_id},
        )

    def to_finding(crossing: Crossing) -> Finding:
        return stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=crossing.measured,
            threshold=crossing.threshold,
            comparison=Comparison.GT,
            evidence=crossing.evidence,
            moment=crossing.time,
            record_id=state["plan"],
            details={
                **crossing.details,
                "plan_id": state["plan"],
                "school_year": state["year"],
                "grade": state["grade"],
            },
        )

    step = settle(
        state, ctx.watermark, crossing, to_finding, closes_at=school_year(state["year"]).end
    )
    if step.state is not None and step.state.get("fired"):
        pages.delete_all()  # decided: the evidence is in the alert
    return replace(step, pages=pages.changed)


RULE = StatefulRule(
    RuleMeta(
        id="E5",
        version="1.0.0",
        title_zh="招生人数超出核定计划",
        title_en="Admissions above the approved plan",
        citation="国发〔2016〕40号：严格控制班额，限制班额超标学校招生人数；招生不得超出核定计划",
        kind=RuleKind.WINDOWED,
        severity=Severity.ORANGE,
        risk_area=RiskArea.ENROLLMENT,
        parameters=Parameters,
        event_types=frozenset({PLAN, ADMISSION}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
