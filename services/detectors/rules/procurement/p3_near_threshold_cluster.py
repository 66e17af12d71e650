"""P3_NEAR · 同一供应商多笔金额略低于限额 / Purchases clustered just under a threshold from one vendor

Orders or contracts placed just under an approval or procurement threshold —
in [``band`` × T, T) for any T in ``thresholds_yuan`` — are a splitting signal;
``minimum_count`` (3) or more such purchases from one vendor within
``window_days`` (30) days is a strong one. The rule reads the school's
``procurement.contract`` values and ``canteen.purchase_order`` totals per
supplier, walks each threshold's band in event-time order and alerts at the
first purchase that completes a cluster; the next cluster for that threshold
starts after it.

Kind: windowed (sliding 30 days; key school × supplier). Emits when the
watermark passes the purchase that completed the cluster. Subject: the vendor;
the alert's window is the 30 days ending at that purchase. Amounts in 元.
Source: practitioner pattern (规避审批/招标限额的拆分采购), cf. 《政府采购法实施条例》第二十八条; thresholds ✘ configurable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from services.detectors.core.eventtime import format_time, parse_time
from services.detectors.core.findings import origin, stored_finding, yuan
from services.detectors.core.ledger import Entry, ordered, upsert
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
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

CONTRACT = "cn.edu.qinglian.procurement.contract.v1"
PURCHASE_ORDER = "cn.edu.qinglian.canteen.purchase_order.v1"


@dataclass(frozen=True)
class Parameters:
    thresholds_yuan: tuple[str, ...] = ("50000", "100000", "1000000", "2000000")
    band: Decimal = Decimal("0.9")
    minimum_count: int = 3
    window_days: int = 30


def state_keys(event: Event, params: Parameters) -> list[str]:
    supplier = event["data"]["supplier"]["id"]
    return [school_key(event, supplier)]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {
        **origin(event),
        "supplier": data["supplier"]["id"],
        "entries": {},
        "fired": {},
    }
    if event["type"] == CONTRACT:
        record, amount, moment = (
            f"contract:{data['contract_id']}",
            data["value_fen"],
            data["signed_at"],
        )
        counted = data["status"] != "cancelled"
    else:
        record, amount, moment = (
            f"order:{data['order_id']}",
            data["total_amount_fen"],
            data["ordered_at"],
        )
        counted = True
    threshold = _band_of(yuan(amount), ctx.params) if counted else None
    upsert(
        state["entries"],
        record,
        event,
        amount=amount,
        kind=threshold or "",
        moment=parse_time(moment),
    )
    return on_timer(state, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    params = ctx.params
    span = timedelta(days=params.window_days)
    findings: list[Finding] = []
    pending = []
    entries = ordered(state["entries"])
    for threshold in params.thresholds_yuan:
        after = parse_time(state["fired"][threshold]) if threshold in state["fired"] else None
        cluster = _first_cluster(
            [e for e in entries if e.kind == threshold and (after is None or e.time > after)],
            params,
        )
        if cluster is None:
            continue
        end = cluster[-1].time
        if ctx.watermark is not None and end <= ctx.watermark:
            state["fired"][threshold] = format_time(end)
            findings.append(_finding(state, cluster, threshold, Window(end - span, end), params))
        else:
            pending.append(end)
    horizon = ctx.watermark - span if ctx.watermark is not None else None
    state["entries"] = {
        k: v for k, v in state["entries"].items() if horizon is None or parse_time(v["t"]) > horizon
    }
    if not state["entries"]:
        return Step(None, None, tuple(findings))
    oldest = min(parse_time(v["t"]) for v in state["entries"].values())
    return Step(state, min(pending) if pending else oldest + span, tuple(findings))


def _band_of(amount: Decimal, params: Parameters) -> str | None:
    for threshold in params.thresholds_yuan:
        if params.band * Decimal(threshold) <= amount < Decimal(threshold):
            return threshold
    return None


def _first_cluster(entries: list[Entry], params: Parameters) -> list[Entry] | None:
    span = timedelta(days=params.window_days)
    for index, entry in enumerate(entries):
        inside = [e for e in entries[: index + 1] if e.time > entry.time - span]
        if len(inside) >= params.minimum_count:
            return inside
    return None


def _finding(
    state: State, cluster: list[Entry], threshold: str, window: Window, params: Parameters
) -> Finding:
    return stored_finding(
        state,
        subject=(SubjectKind.VENDOR, state["supplier"]),
        measured=Decimal(len(cluster)),
        threshold=Decimal(params.minimum_count),
        comparison=Comparison.GE,
        evidence=[e.event_id for e in cluster],
        moment=cluster[-1].time,
        window=window,
        record_id=threshold,
        details={
            "threshold_yuan": threshold,
            "purchases": [e.record_id for e in cluster],
            "amounts_yuan": [yuan(e.amount) for e in cluster],
        },
    )


RULE = StatefulRule(
    RuleMeta(
        id="P3_NEAR",
        version="1.0.0",
        title_zh="同一供应商30日内多笔采购金额略低于限额",
        title_en="Purchases from one vendor clustered just under a threshold",
        citation="《政府采购法实施条例》第二十八条（化整为零）；拆分采购规避限额审批的纪检实践信号",
        kind=RuleKind.WINDOWED,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({CONTRACT, PURCHASE_ORDER}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
