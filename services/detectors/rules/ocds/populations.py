"""Streaming form of Cardinal's population indicators (R024, R025, R038, R048, R058).

These compare each process or organisation with the whole population, so their
state is global by nature: one key per district (``global|ocds|<district>``),
fed by a stream repartitioned by it. The state holds each process's compiled
release (see ``releases``). A process joins the calendar window (``window_months``)
in which its award was decided; when the watermark passes the window's end,
the Cardinal indicator runs over that window's processes exactly as the batch
runner runs over a file, and every flag becomes an alert that carries the
window's quartiles and fences (Cardinal's ``Meta``).

Processes that are never decided stay in state until ``retention_days`` after
their last event. A process decided in a window that has already closed is too
late and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import format_time, parse_time, period_window
from services.detectors.core.model import Comparison, Event, Finding, Subject, SubjectKind, Window
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    global_key,
)
from services.detectors.rules.ocds.cardinal import (
    BUYER_GROUP,
    OCID_GROUP,
    PROCURING_ENTITY_GROUP,
    Accumulator,
    CardinalSettings,
    Indicator,
    is_cancelled,
    json_float,
    round_meta,
)
from services.detectors.rules.ocds.releases import (
    compiled_release,
    decided_at,
    event_ids,
    merge,
    new_process,
)


@dataclass(frozen=True)
class PopulationParameters:
    window_months: int = 3
    retention_days: int = 365

    def __post_init__(self) -> None:
        if self.window_months not in (1, 2, 3, 4, 6, 12):
            raise ValueError(
                f"window_months = {self.window_months} must divide the year (1, 2, 3, 4, 6 or 12)"
            )


@dataclass(frozen=True)
class PricedPopulationParameters(PopulationParameters):
    """For the indicators built on the second-lowest-bid ratio (R024, R058)."""

    threshold: Decimal | None = None
    currency: str = "CNY"
    no_price_comparison_procurement_methods: tuple[str, ...] = ()
    price_comparison_procurement_methods: tuple[str, ...] = ()

    def cardinal_settings(self) -> CardinalSettings:
        return CardinalSettings(
            currency=self.currency,
            no_price_comparison_procurement_methods=frozenset(
                self.no_price_comparison_procurement_methods
            ),
            price_comparison_procurement_methods=frozenset(
                self.price_comparison_procurement_methods
            ),
        )


@dataclass(frozen=True)
class GroupAlert:
    """Which ``Meta`` entry is the fence a group's flags crossed, and in which direction."""

    fence: str
    comparison: Comparison


def population_rule(
    meta: RuleMeta,
    indicators: Callable[[Any], Sequence[Indicator]],
    groups: Mapping[str, GroupAlert],
) -> StatefulRule[Any]:
    code = meta.id

    def state_keys(event: Event, params: Any) -> list[str]:
        return [global_key("ocds", event.get("districtid") or "-")]

    def on_event(state: State, event: Event, ctx: RuleContext[Any]) -> Step:
        state = state or {"district": event.get("districtid"), "processes": {}, "done": {}}
        ocid = event["data"]["ocid"]
        if ocid in state["done"]:
            return _next(state, ctx)
        process = state["processes"].setdefault(ocid, new_process(event))
        process["last"] = max(event["time"], process.get("last", event["time"]), key=parse_time)
        merge(process, event)
        decided = decided_at(process)
        if decided is not None and "window" not in process:
            window = period_window(parse_time(decided), ctx.params.window_months)
            if ctx.watermark is not None and window.end <= ctx.watermark:
                del state["processes"][ocid]
                state["done"][ocid] = format_time(window.end)
            else:
                process["window"] = [format_time(window.start), format_time(window.end)]
        return _next(state, ctx)

    def on_timer(state: State, ctx: RuleContext[Any]) -> Step:
        findings: list[Finding] = []
        closing = sorted({tuple(p["window"]) for p in state["processes"].values() if "window" in p})
        for start, end in closing:
            if parse_time(end) <= ctx.watermark:
                findings += _evaluate(state, Window(parse_time(start), parse_time(end)), ctx.params)
        expiry = ctx.watermark - timedelta(days=ctx.params.retention_days)
        state["processes"] = {
            ocid: p
            for ocid, p in state["processes"].items()
            if "window" in p or parse_time(p["last"]) > expiry
        }
        state["done"] = {
            ocid: end for ocid, end in state["done"].items() if parse_time(end) > expiry
        }
        return _next(state, ctx, tuple(findings))

    def _evaluate(state: State, window: Window, params: Any) -> list[Finding]:
        members = {
            ocid: p
            for ocid, p in state["processes"].items()
            if "window" in p and p["window"][1] == format_time(window.end)
        }
        for ocid in members:
            del state["processes"][ocid]
            state["done"][ocid] = format_time(window.end)
        acc = Accumulator()
        checks = indicators(params)
        for ocid, process in sorted(members.items()):
            release = compiled_release(process)
            if not is_cancelled(release):
                for check in checks:
                    check.fold(acc, release, ocid)
        for check in checks:
            check.finalize(acc)
        fences = acc.meta.get(code, {})
        findings = []
        for group, alert in groups.items():
            for key, values in sorted(acc.results.get(group, {}).items()):
                if code in values and math.isfinite(values[code]):
                    findings.append(
                        _finding(state, members, group, key, values[code], fences, alert, window)
                    )
        return findings

    def _finding(
        state, members, group, key, value, fences, alert: GroupAlert, window: Window
    ) -> Finding:
        fence_name = f"{group}_{alert.fence}" if f"{group}_{alert.fence}" in fences else alert.fence
        involved = {ocid: p for ocid, p in members.items() if _involves(p, group, key)}
        school = _school_of(involved, group)
        subject = _subject(group, key, school)
        return Finding(
            school_id=school,
            district_id=state.get("district"),
            subject=subject,
            measured_value=_decimal(value),
            threshold=_decimal(fences[fence_name]),
            comparison=alert.comparison,
            evidence_event_ids=tuple(sorted({e for p in involved.values() for e in event_ids(p)})),
            event_time=max(
                (parse_time(decided_at(p)) for p in involved.values()), default=window.end
            ),
            window=window,
            details={
                "cardinal_group": group,
                "meta": {name: json_float(round_meta(v)) for name, v in sorted(fences.items())},
                "processes": sorted(involved),
                "population": len(members),
            },
        )

    def _next(state: State, ctx: RuleContext[Any], findings: tuple[Finding, ...] = ()) -> Step:
        ends = [parse_time(p["window"][1]) for p in state["processes"].values() if "window" in p]
        if not state["processes"] and not state["done"]:
            return Step(None, None, findings)
        lasts = [parse_time(p["last"]) for p in state["processes"].values()] + [
            parse_time(e) for e in state["done"].values()
        ]
        cleanup = min(lasts) + timedelta(days=ctx.params.retention_days) if lasts else None
        return Step(state, min(ends) if ends else cleanup, findings)

    return StatefulRule(meta, state_keys, on_event, on_timer)


def _involves(process: Mapping[str, Any], group: str, key: str) -> bool:
    if group == OCID_GROUP:
        return process["ocid"] == key
    release = compiled_release(process)
    if group == BUYER_GROUP:
        return release.get("buyer", {}).get("id") == key
    if group == PROCURING_ENTITY_GROUP:
        return release.get("tender", {}).get("procuringEntity", {}).get("id") == key
    parties = [t for bid in release.get("bids", {}).get("details", []) for t in bid["tenderers"]]
    parties += [s for award in release.get("awards", []) for s in award["suppliers"]]
    return any(party["id"] == key for party in parties)


def _school_of(involved: Mapping[str, Mapping[str, Any]], group: str) -> str | None:
    """Processes and buyers belong to a school; a tenderer or agency works across schools."""
    if group not in (OCID_GROUP, BUYER_GROUP) or not involved:
        return None
    return sorted(p["school"] for p in involved.values())[0]


def _subject(group: str, key: str, school: str | None) -> Subject:
    if group == OCID_GROUP:
        return Subject(SubjectKind.TENDER, key)
    if group == BUYER_GROUP:
        return Subject(SubjectKind.SCHOOL, school or key)
    return Subject(SubjectKind.VENDOR, key)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def optional_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
