"""P4 · 补充合同超过原合同金额百分之十 / Amendments above 10 % of the contract

Single-source top-ups and supplementary contracts may add at most ``maximum_ratio``
(10 %) of the original contract value. The rule sums the value increases of a
contract's approved ``procurement.amendment`` events in event-time order and
alerts at the first amendment that takes the total above the limit. The original
value is the ``procurement.contract`` event's value when seen, else the
amendment's ``original_value_fen``. Rejected or pending amendments do not count;
an amendment's latest status wins.

Kind: windowed (per contract; join of the contract and its amendments).
Emits when the watermark passes the crossing amendment. Subject: the contract.
Source: 《政府采购法》第三十一条第（三）项、第四十九条 "添购资金总额不超过原合同采购金额百分之十" ✔.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.crossing import Crossing, settle
from services.detectors.core.eventtime import parse_time
from services.detectors.core.findings import origin, stored_finding, yuan
from services.detectors.core.ledger import ordered, running_totals, upsert
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


@dataclass(frozen=True)
class Parameters:
    maximum_ratio: Decimal = Decimal("0.10")


def state_keys(event: Event, params: Parameters) -> list[str]:
    return [school_key(event, event["data"]["contract_id"])]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "contract": data["contract_id"], "entries": {}, "terms": {}}
    if event["type"] == CONTRACT:
        upsert(state["terms"], "contract", event, amount=data["value_fen"])
    else:
        earliest = state["terms"].get("original")
        if earliest is None or (parse_time(event["time"]), event["id"]) < (
            parse_time(earliest["v"]),
            earliest["e"],
        ):
            upsert(
                state["terms"],
                "original",
                event,
                amount=data["original_value_fen"],
                moment=parse_time(event["time"]),
            )
        counted = data["status"] == "approved" and data["value_change_fen"] > 0
        kind = "approved" if counted else "void"
        upsert(
            state["entries"],
            data["amendment_id"],
            event,
            amount=data["value_change_fen"],
            kind=kind,
        )
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    original = state["terms"].get("contract") or state["terms"].get("original")
    crossing = None
    if original is not None:
        base = Decimal(original["a"])
        limit = base * ctx.params.maximum_ratio
        increases = [entry for entry in ordered(state["entries"]) if entry.kind == "approved"]
        crossing = next(
            (
                Crossing(
                    prefix[-1].time,
                    tuple(e.event_id for e in prefix),
                    yuan(total),
                    yuan(limit),
                    {"original_value_yuan": yuan(base), "ratio": total / base},
                )
                for prefix, total in running_totals(increases)
                if total > limit
            ),
            None,
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

    return settle(state, ctx.watermark, crossing, to_finding)


RULE = StatefulRule(
    RuleMeta(
        id="P4",
        version="1.0.0",
        title_zh="补充合同累计超过原合同金额百分之十",
        title_en="Contract amendments above 10 % of the original value",
        citation="《政府采购法》第四十九条：补充合同的采购金额不得超过原合同采购金额的百分之十",
        kind=RuleKind.WINDOWED,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({CONTRACT, AMENDMENT}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
