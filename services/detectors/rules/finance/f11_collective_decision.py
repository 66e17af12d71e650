"""F11 · 大额资金支出缺少"三重一大"集体决策 / Large payment without a collective decision

Spending at or above ``large_amount_yuan`` (set per district; 10万 by default ✘)
is a 三重一大 matter: it needs a party-committee or principal's-office meeting
that approved it. A ``finance.payment_voucher`` at or above the amount with no
``meeting_id`` is alerted at once (``no_meeting``). Otherwise the voucher is
joined with the ``finance.collective_decision`` of that meeting and judged when
the watermark passes the payment: the meeting must exist, have been held before
the payment with a quorum, and contain an approved decision covering the amount
(``meeting_missing``, ``held_after_payment``, ``no_quorum``, ``not_approved``).

Kind: join (key school × meeting). Subject: the requester (pseudonym); one alert
per voucher. Amounts in 元.
Source: 中共中央办公厅 "三重一大" 决策制度; 中小学校党组织领导的校长负责制 (重大事项集体决策) ◐; threshold ✘ per district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from services.detectors.core.eventtime import format_time, parse_time
from services.detectors.core.findings import finding, origin, stored_finding, yuan
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

VOUCHER = "cn.edu.qinglian.finance.payment_voucher.v1"
MEETING = "cn.edu.qinglian.finance.collective_decision.v1"


@dataclass(frozen=True)
class Parameters:
    large_amount_yuan: Decimal = Decimal(100000)
    decision_categories: tuple[str, ...] = ("large_fund_use", "major_project", "major_decision")
    retention_days: int = 400


def state_keys(event: Event, params: Parameters) -> list[str]:
    data = event["data"]
    if event["type"] == MEETING:
        return [school_key(event, "meeting", data["meeting_id"])]
    if yuan(data["amount_fen"]) < params.large_amount_yuan:
        return []
    if data["meeting_id"] is None:
        return [school_key(event, "voucher", data["voucher_id"])]
    return [school_key(event, "meeting", data["meeting_id"])]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    if event["type"] == VOUCHER and data["meeting_id"] is None:
        return Step(None, None, (_finding(event, ctx.params),))
    state = state or {**origin(event), "meeting": None, "vouchers": {}, "judged": []}
    if event["type"] == MEETING:
        state["meeting"] = {
            "held": format_time(parse_time(data["held_at"])),
            "quorum": data["quorum_met"],
            "approved": [
                d["amount_fen"]
                for d in data["decisions"]
                if d["outcome"] == "approved" and d["category"] in ctx.params.decision_categories
            ],
            "e": event["id"],
        }
    else:
        state["vouchers"][data["voucher_id"]] = {
            "t": format_time(parse_time(data["paid_at"])),
            "amount": data["amount_fen"],
            "requester": data["requester"]["staff_id"],
            "e": event["id"],
        }
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    findings: list[Finding] = []
    pending = []
    for voucher_id, voucher in sorted(state["vouchers"].items()):
        paid = parse_time(voucher["t"])
        if ctx.watermark is None or paid > ctx.watermark:
            pending.append(paid)
            continue
        del state["vouchers"][voucher_id]
        problem = _problem(state["meeting"], paid, voucher["amount"])
        if problem:
            evidence = [voucher["e"]] + ([state["meeting"]["e"]] if state["meeting"] else [])
            findings.append(
                stored_finding(
                    state,
                    subject=(SubjectKind.STAFF, voucher["requester"]),
                    measured=yuan(voucher["amount"]),
                    threshold=ctx.params.large_amount_yuan,
                    comparison=Comparison.GE,
                    evidence=evidence,
                    moment=paid,
                    record_id=voucher_id,
                    details={"finding": problem, "voucher_id": voucher_id, "unit": "元"},
                )
            )
    expiry = (
        parse_time(state["meeting"]["held"]) + timedelta(days=ctx.params.retention_days)
        if state["meeting"]
        else None
    )
    if not state["vouchers"] and (
        expiry is None or (ctx.watermark is not None and expiry <= ctx.watermark)
    ):
        return Step(None, None, tuple(findings))
    return Step(state, min(pending) if pending else expiry, tuple(findings))


def _problem(meeting: dict | None, paid, amount: int) -> str | None:
    if meeting is None:
        return "meeting_missing"
    if parse_time(meeting["held"]) > paid:
        return "held_after_payment"
    if not meeting["quorum"]:
        return "no_quorum"
    if not any(approved is None or approved >= amount for approved in meeting["approved"]):
        return "not_approved"
    return None


def _finding(event: Event, params: Parameters) -> Finding:
    data = event["data"]
    return finding(
        event,
        subject=(SubjectKind.STAFF, data["requester"]["staff_id"]),
        measured=yuan(data["amount_fen"]),
        threshold=params.large_amount_yuan,
        comparison=Comparison.GE,
        moment=parse_time(data["paid_at"]),
        record_id=data["voucher_id"],
        details={"finding": "no_meeting", "voucher_id": data["voucher_id"], "unit": "元"},
    )


RULE = StatefulRule(
    RuleMeta(
        id="F11",
        version="1.0.0",
        title_zh="大额资金支出未经\u201c三重一大\u201d集体决策",
        title_en="Large payment without a collective (三重一大) decision",
        citation="\u201c三重一大\u201d决策制度：重大事项决策、重要干部任免、重大项目安排和大额度资金运作须经集体讨论决定",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({VOUCHER, MEETING}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
