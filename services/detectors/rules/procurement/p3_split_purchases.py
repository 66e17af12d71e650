"""P3 · 化整为零规避公开招标 / Split purchases to avoid open tendering

Within one fiscal year, purchases under one budget project and the same item
category (品目) made by methods other than open tendering, whose total exceeds
the open-tender threshold, count as evading open tendering. The rule keeps a
ledger of the school's contracts per (budget project, category, fiscal year)
and alerts at the first contract, in signing order, that takes the total of
non-open contracts above the threshold, once ``minimum_purchases`` contracts
are involved (one contract above the threshold is an unlawful method, P1/P2,
not a split). Works use their own threshold. Cancelled contracts and contracts
awarded by an open method do not count; a contract's latest version wins.

Kind: windowed (fiscal year; key school × budget project × category × year).
Emits when the watermark passes the crossing contract's signing time, so the
alert does not depend on arrival order. Subject: ``item`` = "budget project/category".
Thresholds in 元; Chongqing's figures are in ``districts/chongqing.yaml``.
Source: 《政府采购法实施条例》第二十八条 ✔.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.crossing import Crossing, is_closed, settle
from services.detectors.core.eventtime import fiscal_year_window, parse_time
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


@dataclass(frozen=True)
class Parameters:
    open_tender_threshold_yuan: Decimal = Decimal(2000000)
    works_open_tender_threshold_yuan: Decimal = Decimal(4000000)
    open_methods: tuple[str, ...] = ("公开招标",)
    minimum_purchases: int = 2


def state_keys(event: Event, params: Parameters) -> list[str]:
    data = event["data"]
    return [
        school_key(
            event, data["budget_project_id"], data["item_category"]["id"], data["fiscal_year"]
        )
    ]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    if is_closed(fiscal_year_window(data["fiscal_year"]).end, ctx.watermark):
        return on_timer(state, ctx) if state else Step(None)  # too late: the year is decided
    state = state or {
        **origin(event),
        "subject": f"{data['budget_project_id']}/{data['item_category']['id']}",
        "fiscal_year": data["fiscal_year"],
        "works": data["main_procurement_category"] == "works",
        "entries": {},
    }
    if not state.get("fired"):
        counted = (
            data["status"] != "cancelled"
            and data["procurement_method_details"] not in ctx.params.open_methods
        )
        upsert(
            state["entries"],
            data["contract_id"],
            event,
            amount=data["value_fen"],
            kind="counted" if counted else "void",
            moment=parse_time(data["signed_at"]),
        )
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    params = ctx.params
    limit = (
        params.works_open_tender_threshold_yuan
        if state["works"]
        else params.open_tender_threshold_yuan
    )
    counted = [entry for entry in ordered(state["entries"]) if entry.kind == "counted"]
    crossing = next(
        (
            Crossing(
                prefix[-1].time,
                tuple(entry.event_id for entry in prefix),
                yuan(total),
                limit,
                {"contracts": [entry.record_id for entry in prefix]},
            )
            for prefix, total in running_totals(counted)
            if yuan(total) > limit and len(prefix) >= params.minimum_purchases
        ),
        None,
    )
    window = fiscal_year_window(state["fiscal_year"])

    def to_finding(crossing: Crossing) -> Finding:
        return stored_finding(
            state,
            subject=(SubjectKind.ITEM, state["subject"]),
            measured=crossing.measured,
            threshold=crossing.threshold,
            comparison=Comparison.GT,
            evidence=crossing.evidence,
            moment=crossing.time,
            window=window,
            details={**crossing.details, "fiscal_year": state["fiscal_year"], "unit": "元"},
        )

    return settle(state, ctx.watermark, crossing, to_finding, closes_at=window.end)


RULE = StatefulRule(
    RuleMeta(
        id="P3",
        version="1.0.0",
        title_zh="化整为零规避公开招标",
        title_en="Purchases split to stay under the open-tender threshold",
        citation="《政府采购法实施条例》第二十八条：一个财政年度内同一预算项目下同一品目多次采用公开招标以外方式采购，累计超过公开招标数额标准的，属于化整为零",
        kind=RuleKind.WINDOWED,
        severity=Severity.RED,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({"cn.edu.qinglian.procurement.contract.v1"}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
