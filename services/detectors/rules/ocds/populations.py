"""Streaming form of Cardinal's population indicators (R024, R025, R038, R048, R058).

These compare each process or organisation with the whole population, so their
state is global by nature: one key per district (``global|ocds|<district>``),
fed by a stream repartitioned by it. The key holds a small summary (the open
windows with their number of processes, and the oldest page's age for the
clean-up timer); each process's compiled release (see ``releases``) is a page
of the key named by its ocid, so no entry grows with the district. A process
joins the calendar window (``window_months``) in which its award was decided;
when the watermark passes the window's end, the Cardinal indicator runs over
that window's processes exactly as the batch runner runs over a file, and every
flag becomes an alert that carries the window's quartiles and fences
(Cardinal's ``Meta``) and the first 200 evidence ids (with their total).

A judged process's page shrinks to its window end, so a late event for it is
ignored. Processes that are never decided stay until ``retention_days`` after
their last event, judged ones until ``retention_days`` after their window. A
process decided in a window that has already closed is too late and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import format_time, parse_time, period_window
from services.detectors.core.findings import capped_evidence
from services.detectors.core.model import Comparison, Event, Finding, Subject, SubjectKind, Window
from services.detectors.core.pages import PageEdits
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
    price_comparison_settings,
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
        return price_comparison_settings(self, self.currency)


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
        state = state or {"district": event.get("districtid"), "windows": {}, "oldest": None}
        ocid = event["data"]["ocid"]
        pages = PageEdits(ctx.pages)
        stored = pages.get(ocid)
        if stored is not None and "done" in stored:
            return _next(state, pages, ctx)
        process = {**stored, "parts": dict(stored["parts"])} if stored else new_process(event)
        process["last"] = max(event["time"], process.get("last", event["time"]), key=parse_time)
        merge(process, event)
        decided = decided_at(process)
        if decided is not None and "window" not in process:
            window = period_window(parse_time(decided), ctx.params.window_months)
            if ctx.watermark is not None and window.end <= ctx.watermark:
                process = {"done": format_time(window.end)}
            else:
                start, end = format_time(window.start), format_time(window.end)
                process["window"] = [start, end]
                state["windows"][end] = state["windows"].get(end, 0) + 1
        pages.put(ocid, process)
        _lower_oldest(state, process)
        return _next(state, pages, ctx)

    def on_timer(state: State, ctx: RuleContext[Any]) -> Step:
        pages = PageEdits(ctx.pages)
        processes = pages.all()
        findings: list[Finding] = []
        for end in sorted(state["windows"], key=parse_time):
            if parse_time(end) > ctx.watermark:
                continue
            members = {o: p for o, p in processes.items() if p.get("window", ("", ""))[1] == end}
            start = next(iter(members.values()))["window"][0]  # an open window has members
            window = Window(parse_time(start), parse_time(end))
            findings += _evaluate(state, members, window, ctx.params)
            for ocid in members:
                processes[ocid] = {"done": end}
                pages.put(ocid, processes[ocid])
            del state["windows"][end]
        expiry = ctx.watermark - timedelta(days=ctx.params.retention_days)
        state["oldest"] = None
        for ocid, process in processes.items():
            if "window" not in process and parse_time(_age(process)) <= expiry:
                pages.delete(ocid)
            else:
                _lower_oldest(state, process)
        return _next(state, pages, ctx, tuple(findings))

    def _evaluate(
        state: State, members: Mapping[str, Any], window: Window, params: Any
    ) -> list[Finding]:
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
        evidence, shown = capped_evidence(
            sorted({e for p in involved.values() for e in event_ids(p)})
        )
        return Finding(
            school_id=school,
            district_id=state.get("district"),
            subject=subject,
            measured_value=_decimal(value),
            threshold=_decimal(fences[fence_name]),
            comparison=alert.comparison,
            evidence_event_ids=evidence,
            event_time=max(
                (parse_time(decided_at(p)) for p in involved.values()), default=window.end
            ),
            window=window,
            details={
                "cardinal_group": group,
                "meta": {name: json_float(round_meta(v)) for name, v in sorted(fences.items())},
                "processes": sorted(involved),
                "population": len(members),
                **shown,
            },
        )

    def _next(
        state: State, pages: PageEdits, ctx: RuleContext[Any], findings: tuple[Finding, ...] = ()
    ) -> Step:
        if not len(pages):
            return Step(None, None, findings)
        if state["windows"]:
            timer = min(parse_time(end) for end in state["windows"])
        else:
            timer = parse_time(state["oldest"]) + timedelta(days=ctx.params.retention_days)
        return Step(state, timer, findings, pages.changed)

    return StatefulRule(meta, state_keys, on_event, on_timer)


def _age(page: Mapping[str, Any]) -> str:
    """When a page starts to age: a pending process's last event, a judged one's window end."""
    return page["done"] if "done" in page else page["last"]


def _lower_oldest(state: State, page: Mapping[str, Any]) -> None:
    """Keep ``oldest`` at or below every page's age, so the clean-up timer is never late."""
    if state["oldest"] is None or parse_time(_age(page)) < parse_time(state["oldest"]):
        state["oldest"] = _age(page)


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
    return min(p["school"] for p in involved.values())


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
