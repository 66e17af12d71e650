"""F_BENFORD · 支付金额首位数字偏离本福特定律 / Payment amounts deviate from Benford's law

Genuine payment amounts follow Benford's law: the first digit d appears with
probability log10(1 + 1/d). A school's ``finance.payment_voucher`` amounts of at
least ``minimum_amount_yuan`` are collected per calendar period (``window_months``,
a quarter by default); when the period is final and holds at least
``minimum_records`` (300) amounts, the mean absolute deviation (MAD) of the
first-digit proportions from Benford's is computed and a MAD above
``maximum_mad`` (0.015, Nigrini's "nonconformity") is alerted.

Kind: windowed (key school × period, which keeps the first-digit counts; the
vouchers, needed to count each once, are kept in pages). Subject: the school;
the alert carries the observed and expected proportions and the first 200
evidence ids (with their total).
Source: Nigrini, *Benford's Law* (2012): first-digit MAD > 0.015 = nonconformity ✘ (practitioner threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.crossing import is_closed, judge_when_closed
from services.detectors.core.eventtime import format_time, parse_time, period_window
from services.detectors.core.findings import capped_evidence, origin, stored_finding, yuan
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
)
from services.detectors.core.pages import PageEdits, shard_of
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

VOUCHER = "cn.edu.qinglian.finance.payment_voucher.v1"
BENFORD = {digit: math.log10(1 + 1 / digit) for digit in range(1, 10)}


@dataclass(frozen=True)
class Parameters:
    window_months: int = 3
    minimum_records: int = 300
    maximum_mad: Decimal = Decimal("0.015")
    minimum_amount_yuan: Decimal = Decimal(10)


def first_digit(amount_fen: int) -> int:
    return int(str(amount_fen)[0])


def state_keys(event: Event, params: Parameters) -> list[str]:
    data = event["data"]
    if yuan(data["amount_fen"]) < params.minimum_amount_yuan:
        return []
    window = period_window(parse_time(data["paid_at"]), params.window_months)
    return [school_key(event, "benford", format_time(window.start)[:10])]


VOUCHER_PAGES = 16
"""Vouchers are kept in this many pages by a hash of their id (about 50 bytes each)."""


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    window = period_window(parse_time(data["paid_at"]), ctx.params.window_months)
    if is_closed(window.end, ctx.watermark):
        return Step(None)
    state = state or {
        **origin(event),
        "start": format_time(window.start),
        "records": 0,
        "digits": [0] * len(BENFORD),
    }
    pages = PageEdits(ctx.pages)
    page = shard_of(data["voucher_id"], VOUCHER_PAGES)
    previous = (pages.get(page) or {}).get(data["voucher_id"])
    record = [first_digit(data["amount_fen"]), event["id"]]
    if record != previous:
        pages.edit(page)[data["voucher_id"]] = record
        state["digits"][record[0] - 1] += 1
        if previous is None:
            state["records"] += 1
        else:
            state["digits"][previous[0] - 1] -= 1
    return _test_when_final(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _test_when_final(state, PageEdits(ctx.pages), ctx)


def _test_when_final(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    window = period_window(parse_time(state["start"]), ctx.params.window_months)
    return judge_when_closed(
        state, ctx.watermark, window.end, lambda s: _test(s, pages, ctx.params), pages.changed
    )


def _test(state: State, pages: PageEdits, params: Parameters) -> list[Finding]:
    records = state["records"]
    if records < params.minimum_records:
        return []
    observed = {digit: state["digits"][digit - 1] / records for digit in BENFORD}
    mad = sum(abs(observed[d] - BENFORD[d]) for d in BENFORD) / 9
    if Decimal(repr(mad)) <= params.maximum_mad:
        return []
    window = period_window(parse_time(state["start"]), params.window_months)
    evidence, shown = capped_evidence(
        sorted(event_id for page in pages.all().values() for _, event_id in page.values())
    )
    return [
        stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=Decimal(repr(round(mad, 6))),
            threshold=params.maximum_mad,
            comparison=Comparison.GT,
            evidence=evidence,
            moment=window.end,
            window=window,
            details={
                "records": records,
                "observed": {str(d): round(p, 4) for d, p in observed.items()},
                "expected": {str(d): round(p, 4) for d, p in BENFORD.items()},
                **shown,
            },
        )
    ]


RULE = StatefulRule(
    RuleMeta(
        id="F_BENFORD",
        version="1.0.0",
        title_zh="支付金额首位数字分布偏离本福特定律",
        title_en="Payment amounts deviate from Benford's law",
        citation="Nigrini (2012) 首位数字检验：MAD > 0.015 视为不符合（至少300条记录）；纪检大数据监督常用方法",
        kind=RuleKind.WINDOWED,
        severity=Severity.YELLOW,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({VOUCHER}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
