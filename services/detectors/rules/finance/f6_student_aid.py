"""F6 · 资助发放给非在籍学生或重复发放 / Aid paid to a student not enrolled, or twice in a term

Student aid goes to enrolled students, once per category and term. The rule
joins a student's ``finance.aid_disbursement`` events with the school's
``enrollment.registration``, ``enrollment.withdrawal`` and ``enrollment.transfer``
(out) events for that student and judges each disbursement when the watermark
passes it: ``not_enrolled`` when no registration covers the payment date,
``duplicate`` when an earlier disbursement of the same category and term exists
(the first one, in event-time order, is legitimate).

Kind: join (key school × student). Subject: the student (pseudonym); one alert
per disbursement and finding. Amounts in 元.
Source: 学生资助管理 (受助学生须具有正式学籍、同一学期同一项目不得重复资助) ◐; 财政部等三部门 2024 通知 ◐.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.detectors.core.eventtime import format_time, parse_time, start_of
from services.detectors.core.findings import origin, stored_finding, yuan
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

AID = "cn.edu.qinglian.finance.aid_disbursement.v1"
REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"
WITHDRAWAL = "cn.edu.qinglian.enrollment.withdrawal.v1"
TRANSFER = "cn.edu.qinglian.enrollment.transfer.v1"


@dataclass(frozen=True)
class Parameters:
    retention_days: int = 400


def state_keys(event: Event, params: Parameters) -> list[str]:
    if event["type"] == TRANSFER and event["data"]["from_school_id"] != event["schoolid"]:
        return []
    return [school_key(event, event["data"]["student"]["student_id"])]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {
        **origin(event),
        "student": data["student"]["student_id"],
        "enrolled": None,
        "left": None,
        "aid": {},
        "judged": [],
    }
    if event["type"] == REGISTRATION:
        state["enrolled"] = [format_time(parse_time(data["registered_at"])), event["id"]]
    elif event["type"] in (WITHDRAWAL, TRANSFER):
        state["left"] = [
            format_time(start_of(date.fromisoformat(data["effective_date"]))),
            event["id"],
        ]
    else:
        state["aid"][data["disbursement_id"]] = {
            "t": format_time(parse_time(data["paid_at"])),
            "e": event["id"],
            "group": f"{data['term']}/{data['aid_category']}",
            "amount": data["amount_fen"],
        }
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    findings: list[Finding] = []
    aid = sorted(state["aid"].items(), key=lambda item: (parse_time(item[1]["t"]), item[0]))
    pending = []
    for index, (disbursement, paid) in enumerate(aid):
        moment = parse_time(paid["t"])
        if disbursement in state["judged"]:
            continue
        if ctx.watermark is None or moment > ctx.watermark:
            pending.append(moment)
            continue
        state["judged"].append(disbursement)
        if not _enrolled(state, moment):
            findings.append(
                _finding(
                    state,
                    disbursement,
                    paid,
                    "not_enrolled",
                    [paid["e"], *_enrollment_evidence(state)],
                )
            )
        earlier = [e for d, e in aid[:index] if e["group"] == paid["group"]]
        if earlier:
            findings.append(
                _finding(state, disbursement, paid, "duplicate", [earlier[0]["e"], paid["e"]])
            )
    latest = max(
        [parse_time(p["t"]) for p in state["aid"].values()]
        + [parse_time(x[0]) for x in (state["enrolled"], state["left"]) if x]
    )
    expiry = latest + timedelta(days=ctx.params.retention_days)
    if ctx.watermark is not None and expiry <= ctx.watermark:
        return Step(None, None, tuple(findings))
    return Step(state, min(pending) if pending else expiry, tuple(findings))


def _enrolled(state: State, moment) -> bool:
    enrolled, left = state["enrolled"], state["left"]
    return (
        enrolled is not None
        and parse_time(enrolled[0]) <= moment
        and (left is None or moment < parse_time(left[0]))
    )


def _enrollment_evidence(state: State) -> list[str]:
    return [x[1] for x in (state["enrolled"], state["left"]) if x]


def _finding(
    state: State, disbursement: str, paid: dict, name: str, evidence: list[str]
) -> Finding:
    return stored_finding(
        state,
        subject=(SubjectKind.STUDENT, state["student"]),
        measured=yuan(paid["amount"]),
        threshold=0,
        comparison=Comparison.GT,
        evidence=evidence,
        moment=parse_time(paid["t"]),
        record_id=f"{disbursement}/{name}",
        details={"finding": name, "term_and_category": paid["group"], "unit": "元"},
    )


RULE = StatefulRule(
    RuleMeta(
        id="F6",
        version="1.0.0",
        title_zh="资助资金发放给非在籍学生或同学期重复发放",
        title_en="Student aid paid to a student not enrolled, or twice in a term",
        citation="学生资助资金管理：受助学生须为具有正式学籍的在校生，同一学期同一资助项目不得重复享受",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({AID, REGISTRATION, WITHDRAWAL, TRANSFER}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
