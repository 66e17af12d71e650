"""F7 · 发票重复报销 / The same invoice reimbursed twice

An invoice (code + number; fully-digital invoices have a 20-digit number and no
code) may be reimbursed once. Every invoice on a ``finance.reimbursement`` is
keyed across all schools; the first claim of an invoice, in event-time order,
is legitimate and every later claim by another reimbursement (at any school) is
alerted when the watermark passes it.

Kind: windowed, global by nature: one key per invoice number
(``global|invoice|<number>``), fed by a stream repartitioned by it; a
reimbursement with several invoices updates several keys. Subject: the
invoice; the alert belongs to the school of the repeated claim.
Source: 财会〔2020〕6号 (电子发票报销入账归档: 防止重复报销) ◐.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import format_time, parse_time
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

REIMBURSEMENT = "cn.edu.qinglian.finance.reimbursement.v1"


@dataclass(frozen=True)
class Parameters:
    retention_days: int = 1830


def state_keys(event: Event, params: Parameters) -> list[str]:
    return sorted({_invoice_key(invoice) for invoice in event["data"]["invoices"]})


def _invoice_key(invoice: Mapping[str, Any]) -> str:
    return global_key("invoice", invoice["invoice_number"])


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    invoices = [invoice for invoice in data["invoices"] if _invoice_key(invoice) == ctx.key]
    state = state or {
        "number": invoices[0]["invoice_number"],
        "district": event.get("districtid"),
        "claims": {},
        "judged": [],
    }
    for invoice in invoices:
        claim = f"{event['schoolid']}/{data['reimbursement_id']}"
        state["claims"][claim] = [
            format_time(parse_time(data["submitted_at"])),
            event["id"],
            invoice["invoice_code"],
            event["schoolid"],
        ]
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    claims = sorted(state["claims"].items(), key=lambda item: (parse_time(item[1][0]), item[0]))
    findings: list[Finding] = []
    pending = []
    for index, (claim, (at, event_id, code, school)) in enumerate(claims):
        moment = parse_time(at)
        if index == 0 or claim in state["judged"]:
            continue
        if ctx.watermark is None or moment > ctx.watermark:
            pending.append(moment)
            continue
        state["judged"].append(claim)
        first_claim, (_, first_event, first_code, first_school) = claims[0]
        if code is not None and first_code is not None and code != first_code:
            continue  # same number, different invoice code: a different invoice
        findings.append(
            Finding(
                school_id=school,
                district_id=state.get("district"),
                subject=Subject(SubjectKind.INVOICE, f"{code or ''}/{state['number']}"),
                measured_value=Decimal(index + 1),
                threshold=Decimal(1),
                comparison=Comparison.GT,
                evidence_event_ids=(first_event, event_id),
                event_time=moment,
                record_id=claim,
                details={
                    "first_claim": first_claim,
                    "first_school": first_school,
                    "repeated_claim": claim,
                },
            )
        )
    latest = max(parse_time(at) for at, *_ in state["claims"].values())
    expiry = latest + timedelta(days=ctx.params.retention_days)
    if ctx.watermark is not None and expiry <= ctx.watermark:
        return Step(None, None, tuple(findings))
    return Step(state, min(pending) if pending else expiry, tuple(findings))


RULE = StatefulRule(
    RuleMeta(
        id="F7",
        version="1.0.0",
        title_zh="同一发票重复报销",
        title_en="The same invoice reimbursed twice",
        citation="财会〔2020〕6号：单位应防止电子会计凭证重复入账；同一发票不得重复报销",
        kind=RuleKind.WINDOWED,
        severity=Severity.RED,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({REIMBURSEMENT}),
        doc=__doc__,
        global_state=True,
    ),
    state_keys,
    on_event,
    on_timer,
)
