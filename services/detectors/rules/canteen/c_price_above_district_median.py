"""C_PRICE · 食材单价高于全区中位数1.3倍 / Unit price above 1.3 × the district median

For each item code and unit, the month's ``canteen.purchase_order`` lines of
every school in the district form a population; when the month is final, a
school whose line paid more than ``ratio`` (1.3) × the population's median unit
price is alerted (once per school, item and month, with its dearest line as
the measured value). A population needs lines from ``minimum_schools`` schools.

Kind: windowed (calendar month). State is global by nature — one key per
district × item × unit × month (``global|price|…``) — so the runtime feeds it
from a stream repartitioned by that key. The key keeps the count of lines per
price (the median needs no more; it grows with the distinct prices, not with
the schools), and one page per school keeps that school's lines. Subject: the
item. Amounts in 元.
Source: peer price comparison "单价高于同期同品全区中位数1.3倍" (discipline-inspection pattern) ✘; ratio configurable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.detectors.core.crossing import is_closed, judge_when_closed
from services.detectors.core.eventtime import format_time, month_window, parse_time
from services.detectors.core.findings import yuan
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
from services.detectors.core.pages import PageEdits
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    global_key,
)

PURCHASE_ORDER = "cn.edu.qinglian.canteen.purchase_order.v1"


@dataclass(frozen=True)
class Parameters:
    ratio: Decimal = Decimal("1.3")
    minimum_schools: int = 3


def state_keys(event: Event, params: Parameters) -> list[str]:
    return sorted({_line_key(event, line) for line in event["data"]["lines"]})


def _line_key(event: Event, line: Mapping[str, Any]) -> str:
    month = format_time(month_window(parse_time(event["data"]["ordered_at"])).start)[:7]
    district = event.get("districtid") or "-"
    return global_key("price", district, line["item_code"], line["unit"], month)


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    window = month_window(parse_time(data["ordered_at"]))
    if is_closed(window.end, ctx.watermark):
        return Step(None)
    lines = [line for line in data["lines"] if _line_key(event, line) == ctx.key]
    state = state or {
        "district": event.get("districtid"),
        "item": lines[0]["item_code"],
        "unit": lines[0]["unit"],
        "month": format_time(window.start),
        "prices": {},
        "lines": 0,
    }
    pages = PageEdits(ctx.pages)
    school = event["schoolid"]
    for line in lines:
        record = f"{data['order_id']}/{line['line_no']}"
        previous = (pages.get(school) or {}).get(record)
        current = [line["unit_price_fen"], event["id"], data["ordered_at"]]
        if current == previous:
            continue
        pages.edit(school)[record] = current
        _count(state["prices"], current[0], 1)
        if previous is None:
            state["lines"] += 1
        else:
            _count(state["prices"], previous[0], -1)
    return _judge_when_final(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _judge_when_final(state, PageEdits(ctx.pages), ctx)


def _judge_when_final(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    window = month_window(parse_time(state["month"]))
    return judge_when_closed(
        state, ctx.watermark, window.end, lambda s: _outliers(s, pages, ctx.params), pages.changed
    )


def _count(prices: dict[str, int], price_fen: int, change: int) -> None:
    count = prices.get(str(price_fen), 0) + change
    if count:
        prices[str(price_fen)] = count
    else:
        del prices[str(price_fen)]


def _median(prices: dict[str, int], lines: int) -> Decimal:
    """``statistics.median`` of the lines' prices, from their counts."""
    ascending = sorted((int(price), count) for price, count in prices.items())

    def nth(index: int) -> int:
        seen = 0
        for price, count in ascending:
            seen += count
            if seen > index:
                return price
        raise IndexError(index)

    middle = lines // 2
    if lines % 2:
        return Decimal(nth(middle))
    return Decimal((nth(middle - 1) + nth(middle)) / 2)


def _outliers(state: State, pages: PageEdits, params: Parameters) -> list[Finding]:
    schools = pages.all()
    if len(schools) < params.minimum_schools:
        return []
    middle = _median(state["prices"], state["lines"])
    limit = middle * params.ratio
    window = month_window(parse_time(state["month"]))
    item, unit = state["item"], state["unit"]
    by_school = {
        school: found
        for school, lines in schools.items()
        if (found := [line for line in lines.values() if line[0] > limit])
    }
    return [
        Finding(
            school_id=school,
            district_id=state["district"],
            subject=Subject(SubjectKind.ITEM, item),
            measured_value=yuan(max(price for price, *_ in found)),
            threshold=yuan(limit),
            comparison=Comparison.GT,
            evidence_event_ids=tuple(sorted({event_id for _, event_id, _ in found})),
            event_time=max(parse_time(at) for *_, at in found),
            window=window,
            details={
                "unit": unit,
                "district_median_yuan": yuan(middle),
                "ratio": params.ratio,
                "lines": len(found),
                "population": state["lines"],
            },
        )
        for school, found in sorted(by_school.items())
    ]


RULE = StatefulRule(
    RuleMeta(
        id="C_PRICE",
        version="1.0.0",
        title_zh="食材单价高于全区同月同品中位数1.3倍",
        title_en="Unit price above 1.3 × the district median for the same item and month",
        citation="同品同期价格比对：单价高于全区中位数1.3倍（纪检监督实践，阈值可配置）",
        kind=RuleKind.WINDOWED,
        severity=Severity.ORANGE,
        risk_area=RiskArea.CANTEEN,
        parameters=Parameters,
        event_types=frozenset({PURCHASE_ORDER}),
        doc=__doc__,
        global_state=True,
    ),
    state_keys,
    on_event,
    on_timer,
)
