"""P7 · 中标公告、合同签订、合同公告超期 / Award notice, contract signature or publication late

Three deadlines follow an award decision: the award notice is published within
``notice_working_days`` (2) working days of the decision; the contract is signed
within ``signature_days`` (30) days of the notice (of the decision when there is
no notice); the contract is published within ``publication_working_days`` (2)
working days of signing. Working days follow China's official calendar
(holidays and 调休 make-up days). The rule joins the ``procurement.award`` and
``procurement.contract`` events of an award and judges each deadline when the
watermark passes it: a step done late, or not done by then, is alerted.

Kind: join with event-time timers (key school × award). Subject: the tender for
the notice and the signature, the contract for its publication; one alert per
award and step.
Source: 《政府采购法实施条例》第四十三条（2个工作日内公告中标结果）、第五十条（2个工作日内公告合同）✔;
《政府采购法》第四十六条（30日内签订合同）✔.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import days_after, format_time, parse_time
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.ledger import upsert
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
from services.detectors.core.workdays import end_of_working_days

AWARD = "cn.edu.qinglian.procurement.award.v1"
CONTRACT = "cn.edu.qinglian.procurement.contract.v1"


@dataclass(frozen=True)
class Parameters:
    notice_working_days: int = 2
    signature_days: int = 30
    publication_working_days: int = 2


def state_keys(event: Event, params: Parameters) -> list[str]:
    award_id = event["data"]["award_id"]
    return [] if award_id is None else [school_key(event, award_id)]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "award": data["award_id"], "parts": {}, "judged": []}
    if event["type"] == AWARD:
        if upsert(state["parts"], "award", event, amount=0, kind=data["status"]):
            state["parts"]["award"].update(
                ocid=data["ocid"], decided=data["decided_at"], done=data["notice_published_at"]
            )
    elif upsert(state["parts"], "contract", event, amount=0, kind=data["status"]):
        state["parts"]["contract"].update(
            contract=data["contract_id"], signed=data["signed_at"], done=data["published_at"]
        )
    return on_timer(state, ctx)


def steps(state: State, params: Parameters) -> list[dict[str, Any]]:
    """The deadlines known so far: name, start, deadline, completion, subject and evidence."""
    award, contract = state["parts"].get("award"), state["parts"].get("contract")
    found = []
    if award is not None and award["k"] == "active":
        decided = parse_time(award["decided"])
        notice = parse_time(award["done"]) if award["done"] else None
        signed = (
            parse_time(contract["signed"]) if contract and contract["k"] != "cancelled" else None
        )
        subject = (SubjectKind.TENDER, award["ocid"])
        found.append(
            _step(
                "notice",
                decided,
                end_of_working_days(decided, params.notice_working_days),
                notice,
                subject,
            )
        )
        start = notice or decided
        found.append(
            _step("signature", start, days_after(start, params.signature_days), signed, subject)
        )
    if contract is not None and contract["k"] != "cancelled":
        signed = parse_time(contract["signed"])
        published = parse_time(contract["done"]) if contract["done"] else None
        deadline = end_of_working_days(signed, params.publication_working_days)
        found.append(
            _step(
                "publication",
                signed,
                deadline,
                published,
                (SubjectKind.CONTRACT, contract["contract"]),
            )
        )
    return found


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    findings: list[Finding] = []
    pending = []
    evidence = sorted(part["e"] for part in state["parts"].values())
    for step in steps(state, ctx.params):
        if step["name"] in state["judged"]:
            continue
        if ctx.watermark is None or step["deadline"] > ctx.watermark:
            pending.append(step["deadline"])
            continue
        state = {**state, "judged": [*state["judged"], step["name"]]}
        done = step["done"]
        if done is None or done > step["deadline"]:
            findings.append(_finding(state, step, evidence))
    if not pending and _settled(state):
        return Step(None, None, tuple(findings))
    return Step(state, min(pending) if pending else None, tuple(findings))


def _settled(state: State) -> bool:
    """Nothing more can be judged: the award's steps and the contract's publication are decided."""
    award, contract = state["parts"].get("award"), state["parts"].get("contract")
    award_done = award is None or award["k"] != "active" or "signature" in state["judged"]
    contract_done = (
        contract is None or contract["k"] == "cancelled" or "publication" in state["judged"]
    )
    return award_done and contract_done


def _step(
    name: str, start: datetime, deadline: datetime, done: datetime | None, subject: tuple
) -> dict[str, Any]:
    return {"name": name, "start": start, "deadline": deadline, "done": done, "subject": subject}


def _days(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / 86400).quantize(Decimal("0.01"))


def _finding(state: State, step: dict[str, Any], evidence: list[str]) -> Finding:
    allowed = _days(step["start"], step["deadline"])
    done = step["done"]
    return stored_finding(
        state,
        subject=step["subject"],
        measured=_days(step["start"], done) if done else allowed,
        threshold=allowed,
        comparison=Comparison.GT if done else Comparison.GE,
        evidence=evidence,
        moment=step["deadline"],
        record_id=f"{state['award']}/{step['name']}",
        details={
            "step": step["name"],
            "started_at": format_time(step["start"]),
            "deadline": format_time(step["deadline"]),
            "done_at": format_time(done) if done else None,
            "missing": done is None,
            "unit": "days",
        },
    )


RULE = StatefulRule(
    RuleMeta(
        id="P7",
        version="1.0.0",
        title_zh="中标公告、合同签订或合同公告超期",
        title_en="Award notice, contract signature or contract publication past its deadline",
        citation="《政府采购法实施条例》第四十三条、第五十条（2个工作日内公告）；《政府采购法》第四十六条（中标通知书发出之日起30日内签订合同）",
        kind=RuleKind.JOIN,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({AWARD, CONTRACT}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
