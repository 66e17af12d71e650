"""P12 · 支付超过合同金额 / Payments above the contract value plus approved amendments

Payments against a contract may not exceed its value plus the approved
amendments (补充合同). The rule joins a contract's ``procurement.contract``,
``procurement.amendment`` and ``procurement.payment`` events on the contract id
and walks them in event-time order: an amendment raises the ceiling from the
moment it is approved, and the alert names the first payment whose running
total passes the ceiling in force at that moment. Without the contract event,
an amendment's ``original_value_fen`` stands in for the contract value; without
either, payments wait. State is kept until ``retention_days`` after the
contract period ends.

Kind: join (key school × contract). Emits when the watermark passes the
offending payment. Subject: the contract. Amounts in 元.
Source: 《招标投标法实施条例》第五十七条 ✔; 《政府采购法实施条例》第六十七条 ✔.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from services.detectors.core.crossing import Crossing, settle
from services.detectors.core.eventtime import parse_time, start_of
from services.detectors.core.findings import origin, stored_finding, yuan
from services.detectors.core.ledger import ordered, upsert
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

CONTRACT = "cn.edu.qinglian.procurement.contract.v1"
AMENDMENT = "cn.edu.qinglian.procurement.amendment.v1"
PAYMENT = "cn.edu.qinglian.procurement.payment.v1"


@dataclass(frozen=True)
class Parameters:
    retention_days: int = 400


def state_keys(event: Event, params: Parameters) -> list[str]:
    return [school_key(event, event["data"]["contract_id"])]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "contract": data["contract_id"], "entries": {}, "terms": {}}
    if event["type"] == CONTRACT:
        upsert(
            state["terms"],
            "contract",
            event,
            amount=data["value_fen"],
            kind=data["period"]["end_date"],
        )
    elif event["type"] == AMENDMENT:
        upsert(state["terms"], "original", event, amount=data["original_value_fen"])
        kind = "amendment" if data["status"] == "approved" else "void"
        upsert(
            state["entries"],
            f"amendment:{data['amendment_id']}",
            event,
            amount=data["value_change_fen"],
            kind=kind,
        )
    elif not state.get("fired"):
        paid_at = parse_time(data["paid_at"])
        upsert(
            state["entries"],
            f"payment:{data['payment_id']}",
            event,
            amount=data["amount_fen"],
            kind="payment",
            moment=paid_at,
        )
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    terms = state["terms"]
    base = terms.get("contract") or terms.get("original")
    crossing = _first_overpayment(state, Decimal(base["a"]), base["e"]) if base else None
    contract_end = terms.get("contract", {}).get("k")
    closes_at = (
        start_of(date.fromisoformat(contract_end) + timedelta(days=ctx.params.retention_days))
        if contract_end
        else None
    )

    def to_finding(crossing: Crossing) -> Finding:
        return stored_finding(
            state,
            subject=(SubjectKind.CONTRACT, state["contract"]),
            measured=crossing.measured,
            threshold=crossing.threshold,
            comparison=Comparison.GT,
            evidence=crossing.evidence,
            moment=crossing.time,
            details={**crossing.details, "unit": "元"},
        )

    return settle(state, ctx.watermark, crossing, to_finding, closes_at=closes_at)


def _first_overpayment(
    state: State, contract_value_fen: Decimal, terms_event_id: str
) -> Crossing | None:
    ceiling, paid = contract_value_fen, Decimal(0)
    amendments: list[str] = []
    payments: list[str] = []
    for entry in ordered(state["entries"]):
        if entry.kind == "amendment":
            ceiling += entry.amount
            amendments.append(entry.event_id)
        elif entry.kind == "payment":
            paid += entry.amount
            payments.append(entry.event_id)
            if paid > ceiling:
                return Crossing(
                    entry.time,
                    (terms_event_id, *payments, *amendments),
                    yuan(paid),
                    yuan(ceiling),
                    {
                        "contract_value_yuan": yuan(contract_value_fen),
                        "approved_amendments": len(amendments),
                        "payments": len(payments),
                    },
                )
    return None


RULE = StatefulRule(
    RuleMeta(
        id="P12",
        version="1.0.0",
        title_zh="支付超过合同金额加已批准补充金额",
        title_en="Payments exceed the contract value plus approved amendments",
        citation="《招标投标法实施条例》第五十七条；《政府采购法实施条例》第六十七条：合同须与招标文件一致，支付不得超过合同金额",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({CONTRACT, AMENDMENT, PAYMENT}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
