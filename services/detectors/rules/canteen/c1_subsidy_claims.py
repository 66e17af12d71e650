"""C1 · 营养膳食补助多报或结余 / Nutrition-subsidy over-claims and under-spending

The nutrition-plan meal subsidy is beneficiaries × meal days × the standard
(``standard_yuan_per_day``, 5 元 from autumn 2021, plus the claim's declared
local supplement such as Chongqing's 0.6 元). Two checks:

- over-claim: a ``canteen.subsidy_claim`` whose claimed amount exceeds
  beneficiaries × meal days × (standard + local supplement) — judged per claim;
- under-spend: over a term, the subsidy actually spent on food
  (``canteen.subsidy_spending`` from the nutrition funds, category food) is less
  than the amount claimed × (1 − ``underspend_tolerance``) — judged when the term
  is final (subsidy money that is not spent on meals is diverted or hoarded).

Kind: windowed (term; key school × term, which keeps the totals; the records,
needed to count each once, are kept in pages). Subject: the school; over-claims
are one alert per claim, under-spending one per term (with the first 200
evidence ids and their total). Amounts in 元.
Source: 财政部·教育部《关于深入实施农村义务教育学生营养改善计划的通知》(2021) "膳食补助标准由每生每天4元提高至5元" ✔;
国办发〔2011〕54号 (全年按200天计算) ✔. The under-spend tolerance is an estimate ✘.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from services.detectors.core.crossing import is_closed, judge_when_closed
from services.detectors.core.eventtime import parse_time, term_window
from services.detectors.core.findings import capped_evidence, finding, origin, stored_finding, yuan
from services.detectors.core.ledger import ordered, paged_entries, upsert_paged
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
)
from services.detectors.core.pages import PageEdits
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

CLAIM = "cn.edu.qinglian.canteen.subsidy_claim.v1"
SPENDING = "cn.edu.qinglian.canteen.subsidy_spending.v1"
RECORD_PAGES = 16
"""Claims and food spending are kept in this many pages by a hash of their id."""


@dataclass(frozen=True)
class Parameters:
    standard_yuan_per_day: Decimal = Decimal(5)
    underspend_tolerance: Decimal = Decimal("0.10")
    subsidy_funds: tuple[str, ...] = ("nutrition_subsidy_central", "nutrition_subsidy_local")


def state_keys(event: Event, params: Parameters) -> list[str]:
    data = event["data"]
    if event["type"] == SPENDING and data["fund_source"] not in params.subsidy_funds:
        return []
    return [school_key(event, data["term"])]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    findings = tuple(_over_claim(event, ctx.params)) if event["type"] == CLAIM else ()
    closes_at = term_window(data["term"]).end
    if is_closed(closes_at, ctx.watermark):
        return Step(None, None, findings)
    state = state or {**origin(event), "term": data["term"], "totals": {}}
    pages = PageEdits(ctx.pages)
    if event["type"] == CLAIM:
        upsert_paged(
            state["totals"],
            pages,
            RECORD_PAGES,
            "claims",
            data["claim_id"],
            event,
            amount=data["claimed_amount_fen"],
        )
    elif data["expense_category"] == "food":
        upsert_paged(
            state["totals"],
            pages,
            RECORD_PAGES,
            "spent",
            data["spending_id"],
            event,
            amount=data["amount_fen"],
            moment=parse_time(data["paid_at"]),
        )
    return _under_spend_when_final(state, pages, ctx, findings)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _under_spend_when_final(state, PageEdits(ctx.pages), ctx)


def _under_spend_when_final(
    state: State, pages: PageEdits, ctx: RuleContext[Parameters], findings: tuple[Finding, ...] = ()
) -> Step:
    step = judge_when_closed(
        state,
        ctx.watermark,
        term_window(state["term"]).end,
        lambda s: _under_spend(s, pages, ctx.params),
        pages.changed,
    )
    return replace(step, findings=findings + step.findings)


def _over_claim(event: Event, params: Parameters) -> list[Finding]:
    data = event["data"]
    per_day_fen = params.standard_yuan_per_day * 100 + data["local_supplement_fen_per_day"]
    entitled = data["beneficiary_count"] * data["meal_days"] * per_day_fen
    if data["claimed_amount_fen"] <= entitled:
        return []
    return [
        finding(
            event,
            subject=(SubjectKind.SCHOOL, event["schoolid"]),
            measured=yuan(data["claimed_amount_fen"]),
            threshold=yuan(entitled),
            comparison=Comparison.GT,
            record_id=data["claim_id"],
            details={
                "check": "over_claim",
                "beneficiaries": data["beneficiary_count"],
                "meal_days": data["meal_days"],
                "yuan_per_day": yuan(per_day_fen),
                "unit": "元",
            },
        )
    ]


def _under_spend(state: State, pages: PageEdits, params: Parameters) -> list[Finding]:
    claimed, spent = (Decimal(state["totals"].get(book, 0)) for book in ("claims", "spent"))
    floor = claimed * (1 - params.underspend_tolerance)
    if claimed == 0 or spent >= floor:
        return []
    window = term_window(state["term"])
    evidence, shown = capped_evidence(
        [e.event_id for book in ("claims", "spent") for e in ordered(paged_entries(pages, book))]
    )
    return [
        stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=yuan(spent),
            threshold=yuan(floor),
            comparison=Comparison.LT,
            evidence=evidence,
            moment=window.end,
            window=window,
            details={
                "check": "under_spend",
                "claimed_yuan": yuan(claimed),
                "term": state["term"],
                "unit": "元",
                **shown,
            },
        )
    ]


RULE = StatefulRule(
    RuleMeta(
        id="C1",
        version="1.0.0",
        title_zh="营养膳食补助多报冒领或未足额用于学生膳食",
        title_en="Nutrition subsidy over-claimed or not spent on meals",
        citation="财政部·教育部《关于深入实施农村义务教育学生营养改善计划的通知》(2021)：膳食补助标准每生每天5元；国办发〔2011〕54号",
        kind=RuleKind.WINDOWED,
        severity=Severity.RED,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({CLAIM, SPENDING}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
