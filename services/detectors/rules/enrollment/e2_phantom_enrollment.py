"""E2 · 空挂学籍 / Phantom enrollment: registered but never seen at school

A registered student with no class attendance, canteen swipe or dormitory
check-in — and no excused absence — for ``inactive_school_days`` (10) school
days in a row may be a phantom (空挂学籍、人籍分离). School days are the days on
which the school recorded class attendance. The rule joins the school's
``enrollment.registration``, ``enrollment.withdrawal``, ``enrollment.transfer``
(out) and ``enrollment.attendance`` events and judges each school day once the
watermark passes its end.

Kind: join (key: the school, because one attendance sheet names many students;
the students are kept in pages by a hash of their id, see ``STUDENT_PAGES``).
Subject: the student (pseudonym); one alert per run of inactivity, whose window
runs from the first missed school day to the day the count was reached.
Source: 《中小学生学籍管理办法》(教基〔2025〕1号) 关于"人籍分离、空挂学籍"的规定 ◐; N days ✘ configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.detectors.core.eventtime import start_of
from services.detectors.core.findings import origin, stored_finding
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
from services.detectors.core.pages import Page, PageEdits, shard_of
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"
WITHDRAWAL = "cn.edu.qinglian.enrollment.withdrawal.v1"
TRANSFER = "cn.edu.qinglian.enrollment.transfer.v1"
ATTENDANCE = "cn.edu.qinglian.enrollment.attendance.v1"


@dataclass(frozen=True)
class Parameters:
    inactive_school_days: int = 10
    excused_reasons: tuple[str, ...] = ("sick_leave", "personal_leave")


STUDENT_PAGES = 128
"""Students are spread over this many pages by a hash of their id: a page holds
about 1 KB per 1,000 students of the school. Every student present on an
attendance sheet changes, so many small pages keep the bytes rewritten per sheet
close to the sheet's own students."""


def state_keys(event: Event, params: Parameters) -> list[str]:
    if event["type"] == TRANSFER and event["data"]["from_school_id"] != event["schoolid"]:
        return []
    return [school_key(event, "attendance")]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "days": [], "processed": None}
    pages = PageEdits(ctx.pages)
    if event["type"] == REGISTRATION:
        sid = data["student"]["student_id"]
        page = pages.edit(shard_of(sid, STUDENT_PAGES))
        page[sid] = {
            **page.get(sid, {"last": None, "fired": False}),
            "since": data["registered_at"][:10],
            "event": event["id"],
        }
    elif event["type"] in (WITHDRAWAL, TRANSFER):
        sid = data["student"]["student_id"]
        page = shard_of(sid, STUDENT_PAGES)
        if sid in (pages.get(page) or {}):
            del pages.edit(page)[sid]
    else:
        day = data["date"]
        if data["kind"] == "class_attendance" and day not in state["days"]:
            state["days"] = sorted([*state["days"], day])
        seen = set(data["present"]) | {
            a["student_id"] for a in data["absent"] if a["reason"] in ctx.params.excused_reasons
        }
        for sid in seen:  # activity may precede the registration
            page = shard_of(sid, STUDENT_PAGES)
            student = (pages.get(page) or {}).get(sid, {"last": None, "fired": False})
            if student["last"] is None or day > student["last"]:
                pages.edit(page)[sid] = {**student, "last": day, "fired": False}
    return _judge_due_days(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _judge_due_days(state, PageEdits(ctx.pages), ctx)


def _judge_due_days(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    findings: list[Finding] = []
    for day in [d for d in state["days"] if state["processed"] is None or d > state["processed"]]:
        if ctx.watermark is None or _end(day) > ctx.watermark:
            break
        for name, students in pages.all().items():
            for sid, finding in _judge(state, day, students, ctx.params):
                pages.edit(name)[sid] = {**students[sid], "fired": True}
                findings.append(finding)
        state["processed"] = day
    keep = ctx.params.inactive_school_days
    done = [d for d in state["days"] if state["processed"] and d <= state["processed"]]
    state["days"] = done[-keep:] + [d for d in state["days"] if d not in done]
    upcoming = [d for d in state["days"] if state["processed"] is None or d > state["processed"]]
    timer = _end(upcoming[0]) if upcoming else None
    return Step(state, timer, tuple(findings), pages.changed)


def _judge(state: State, day: str, students: Page, params: Parameters) -> list[tuple[str, Finding]]:
    """The students of one page whose run of missed school days reaches the limit on ``day``."""
    findings = []
    for sid, student in sorted(students.items()):
        if student["fired"] or "since" not in student:
            continue
        missed = [
            d
            for d in state["days"]
            if student["since"] <= d <= day and (student["last"] is None or d > student["last"])
        ]
        if len(missed) >= params.inactive_school_days:
            findings.append(
                (
                    sid,
                    stored_finding(
                        state,
                        subject=(SubjectKind.STUDENT, sid),
                        measured=Decimal(len(missed)),
                        threshold=Decimal(params.inactive_school_days),
                        comparison=Comparison.GE,
                        evidence=[student["event"]],
                        moment=_end(day),
                        window=Window(start_of(date.fromisoformat(missed[0])), _end(day)),
                        details={
                            "last_seen": student["last"],
                            "registered": student["since"],
                            "school_days_missed": missed,
                        },
                    ),
                )
            )
    return findings


def _end(day: str):
    return start_of(date.fromisoformat(day) + timedelta(days=1))


RULE = StatefulRule(
    RuleMeta(
        id="E2",
        version="1.0.0",
        title_zh="空挂学籍（连续多个上学日无任何在校记录）",
        title_en="Phantom enrollment: no attendance or canteen activity for N school days",
        citation="《中小学生学籍管理办法》(教基〔2025〕1号)：严禁人籍分离、空挂学籍",
        kind=RuleKind.JOIN,
        severity=Severity.ORANGE,
        risk_area=RiskArea.ENROLLMENT,
        parameters=Parameters,
        event_types=frozenset({REGISTRATION, WITHDRAWAL, TRANSFER, ATTENDANCE}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
