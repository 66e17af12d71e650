"""C3 · 食堂结余率过高 / Canteen surplus ratio too high in a term

Canteens are non-profit: a term's income (meal fees paid by families and the
nutrition subsidy claimed) should be spent on the students' food. When the
term is final, the surplus (income − spending from canteen funds) divided by
income above ``maximum_surplus_ratio`` (5 %) is alerted, for canteens with at
least ``minimum_income_yuan`` of income.

Kind: windowed (term; key school × term, which keeps the term's totals; the
payments, needed to count each once, are kept in pages). Subject: the school;
the alert lists the first 200 evidence ids and says how many there were.
Amounts in 元.
Source: 教育部等五部门 营养改善计划管理通知 (2019-12) "坚持'公益性、非营利性'原则…结余款项应滚动用于营养改善计划" ◐;
the 3–5 % ratio is an estimate ✘.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.detectors.core.crossing import is_closed, judge_when_closed
from services.detectors.core.eventtime import term_window
from services.detectors.core.findings import capped_evidence, origin, stored_finding, yuan
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

MEAL_FEE = "cn.edu.qinglian.canteen.meal_fee_payment.v1"
CLAIM = "cn.edu.qinglian.canteen.subsidy_claim.v1"
SPENDING = "cn.edu.qinglian.canteen.subsidy_spending.v1"
RECORD_ID = {MEAL_FEE: "payment_id", CLAIM: "claim_id", SPENDING: "spending_id"}


@dataclass(frozen=True)
class Parameters:
    maximum_surplus_ratio: Decimal = Decimal("0.05")
    minimum_income_yuan: Decimal = Decimal(10000)
    canteen_funds: tuple[str, ...] = (
        "meal_fee",
        "canteen_income",
        "nutrition_subsidy_central",
        "nutrition_subsidy_local",
    )


def state_keys(event: Event, params: Parameters) -> list[str]:
    data = event["data"]
    if event["type"] == SPENDING and data["fund_source"] not in params.canteen_funds:
        return []
    return [school_key(event, data["term"])]


RECORD_PAGES = 64
"""Payments are kept in this many pages by a hash of their record id (about 150
bytes each: a page holds about 12 KB per 5,000 payments of a term)."""


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    if is_closed(term_window(data["term"]).end, ctx.watermark):
        return Step(None)
    state = state or {**origin(event), "term": data["term"], "totals": {}}
    amount = data["claimed_amount_fen"] if event["type"] == CLAIM else data["amount_fen"]
    book = "spent" if event["type"] == SPENDING else "income"
    record = f"{event['type']}:{data[RECORD_ID[event['type']]]}"
    pages = PageEdits(ctx.pages)
    upsert_paged(state["totals"], pages, RECORD_PAGES, book, record, event, amount=amount)
    return _close_when_final(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _close_when_final(state, PageEdits(ctx.pages), ctx)


def _close_when_final(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    return judge_when_closed(
        state,
        ctx.watermark,
        term_window(state["term"]).end,
        lambda s: _surplus(s, pages, ctx.params),
        pages.changed,
    )


def _surplus(state: State, pages: PageEdits, params: Parameters) -> list[Finding]:
    income, spent = (Decimal(state["totals"].get(book, 0)) for book in ("income", "spent"))
    if yuan(income) < params.minimum_income_yuan:
        return []
    ratio = (income - spent) / income
    if ratio <= params.maximum_surplus_ratio:
        return []
    window = term_window(state["term"])
    evidence, shown = capped_evidence(
        [e.event_id for book in ("income", "spent") for e in ordered(paged_entries(pages, book))]
    )
    return [
        stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=ratio.quantize(Decimal("0.0001")),
            threshold=params.maximum_surplus_ratio,
            comparison=Comparison.GT,
            evidence=evidence,
            moment=window.end,
            window=window,
            details={
                "income_yuan": yuan(income),
                "spent_yuan": yuan(spent),
                "surplus_yuan": yuan(income - spent),
                "term": state["term"],
                **shown,
            },
        )
    ]


RULE = StatefulRule(
    RuleMeta(
        id="C3",
        version="1.0.0",
        title_zh="食堂学期结余率过高",
        title_en="Canteen surplus ratio above the limit for a term",
        citation="教育部等五部门《关于进一步加强农村义务教育学生营养改善计划有关管理工作的通知》(2019)：坚持公益性、非营利性原则，结余款项应滚动使用",
        kind=RuleKind.WINDOWED,
        severity=Severity.ORANGE,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({MEAL_FEE, CLAIM, SPENDING}),
        doc=__doc__,
    ),
    state_keys,
    on_event,
    on_timer,
)
