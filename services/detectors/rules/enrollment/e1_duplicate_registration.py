"""E1 · 一人多籍 / One person registered at two schools (duplicate 学籍)

One person has one student record (一人一号). Registrations are keyed by the
person's identity-card pseudonym across all schools; a registration at a
second school while the first is still open for more than
``transfer_grace_days`` is a duplicate. A registration ends with a
``enrollment.withdrawal`` by that school or a ``enrollment.transfer`` out of it
(whichever school sends it). Each pair is judged when the watermark passes the
later registration plus the grace period, so a transfer recorded late within
that time clears it.

Kind: windowed, global by nature: one key per person (``global|person|<id>``),
fed by a stream repartitioned by it. Subject: the student (id-number pseudonym);
the alert belongs to the school that registered second, one per pair.
Source: 教育部《中小学生学籍管理常见问题及解答》"一人一号" ◐; "不得重复建立学籍" ◐.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.detectors.core.eventtime import format_time, parse_time, start_of
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    Subject,
    SubjectKind,
)
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    global_key,
)

REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"
WITHDRAWAL = "cn.edu.qinglian.enrollment.withdrawal.v1"
TRANSFER = "cn.edu.qinglian.enrollment.transfer.v1"


@dataclass(frozen=True)
class Parameters:
    transfer_grace_days: int = 7


def state_keys(event: Event, params: Parameters) -> list[str]:
    person = event["data"]["student"].get("id_number")
    return [] if person is None else [global_key("person", person)]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {
        "person": data["student"]["id_number"],
        "district": event.get("districtid"),
        "schools": {},
        "judged": [],
    }
    if event["type"] == REGISTRATION:
        school = state["schools"].setdefault(event["schoolid"], {"end": None})
        school.update(
            start=format_time(parse_time(data["registered_at"])),
            event=event["id"],
            student=data["student"]["student_id"],
        )
    else:
        leaving = event["schoolid"] if event["type"] == WITHDRAWAL else data["from_school_id"]
        school = state["schools"].setdefault(
            leaving, {"start": None, "event": None, "student": None}
        )
        school["end"] = format_time(start_of(date.fromisoformat(data["effective_date"])))
        school["end_event"] = event["id"]
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    if len(state["schools"]) < 2:
        return Step(state)  # one school, no pair to judge: nearly every person
    grace = timedelta(days=ctx.params.transfer_grace_days)
    findings: list[Finding] = []
    pending = []
    registered = sorted(
        (
            (parse_time(s["start"]), school, s)
            for school, s in state["schools"].items()
            if s.get("start")
        ),
        key=lambda item: (item[0], item[1]),
    )
    for index, (second_start, second, later) in enumerate(registered):
        for _, first, earlier in registered[:index]:
            pair = f"{first}>{second}"
            due = second_start + grace
            if pair in state["judged"]:
                continue
            if ctx.watermark is None or due > ctx.watermark:
                pending.append(due)
                continue
            state["judged"].append(pair)
            ended = parse_time(earlier["end"]) if earlier.get("end") else None
            if ended is None or ended > due:
                findings.append(_finding(state, second, later, first, earlier, second_start))
    return Step(state, min(pending) if pending else None, tuple(findings))


def _finding(state: State, school: str, later: dict, first: str, earlier: dict, moment) -> Finding:
    return Finding(
        school_id=school,
        district_id=state.get("district"),
        subject=Subject(SubjectKind.STUDENT, state["person"]),
        measured_value=Decimal(2),
        threshold=Decimal(1),
        comparison=Comparison.GT,
        evidence_event_ids=tuple(e for e in (earlier.get("event"), later["event"]) if e),
        event_time=moment,
        record_id=first,
        details={
            "schools": [first, school],
            "student_ids": sorted({s for s in (earlier.get("student"), later["student"]) if s}),
        },
    )


RULE = StatefulRule(
    RuleMeta(
        id="E1",
        version="1.0.0",
        title_zh="一人多籍（同一人在两校注册学籍）",
        title_en="One person registered at two schools (duplicate 学籍)",
        citation="《中小学生学籍管理办法》：学籍一人一号，不得重复建立学籍，不得以虚假信息建立学生学籍",
        kind=RuleKind.WINDOWED,
        severity=Severity.RED,
        risk_area=RiskArea.ENROLLMENT,
        parameters=Parameters,
        event_types=frozenset({REGISTRATION, WITHDRAWAL, TRANSFER}),
        doc=__doc__,
        global_state=True,
    ),
    state_keys,
    on_event,
    on_timer,
)
