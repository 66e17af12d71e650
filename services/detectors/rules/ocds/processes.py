"""Rules that judge one contracting process assembled from its events.

State per school × ocid holds the process's compiled release (see ``releases``).
A rule says when a process is ready to be judged (by default: once it has a
final award decision, at the latest event time) and how to judge its release.
Later updates re-arm the timer, and each finding (per record) is alerted once.
State is dropped ``retention_days`` after the process was last updated.

Cardinal's per-process indicators (R028, R030, R035, R036) use :func:`cardinal_judge`,
which runs the indicator on the one release exactly as the batch runner does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import parse_time
from services.detectors.core.findings import stored_finding
from services.detectors.core.model import Comparison, Event, Finding, SubjectKind
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)
from services.detectors.rules.ocds.cardinal import (
    OCID_GROUP,
    TENDERER_GROUP,
    Accumulator,
    Indicator,
    Release,
    is_cancelled,
)
from services.detectors.rules.ocds.releases import (
    Process,
    compiled_release,
    decided_at,
    event_ids,
    merge,
    new_process,
)


@dataclass(frozen=True)
class Judgement:
    measured: Decimal
    threshold: Decimal
    comparison: Comparison
    details: Mapping[str, Any] = field(default_factory=dict)
    record: str = ""
    """Tells several findings on one process apart (e.g. the signal of P10)."""


@dataclass(frozen=True)
class Verdict:
    """How a Cardinal value reads as an alert: the threshold and comparison it was measured against."""

    threshold: Decimal
    comparison: Comparison


def latest_time(process: Process) -> datetime:
    return max(parse_time(part["v"][0]) for part in process["parts"].values())


def after_decision(process: Process) -> datetime | None:
    """Ready once an award is decided; judged again at each later update."""
    return latest_time(process) if decided_at(process) is not None else None


def process_rule(
    meta: RuleMeta,
    judge: Callable[[Release, Any], list[Judgement]],
    *,
    ready_at: Callable[[Process], datetime | None] = after_decision,
) -> StatefulRule[Any]:
    def state_keys(event: Event, params: Any) -> list[str]:
        return [school_key(event, event["data"]["ocid"])]

    def on_event(state: State, event: Event, ctx: RuleContext[Any]) -> Step:
        state = state or {**new_process(event), "fired": []}
        merge(state, event)
        return Step(state, ready_at(state) or _expiry(state, ctx.params))

    def on_timer(state: State, ctx: RuleContext[Any]) -> Step:
        expiry = _expiry(state, ctx.params)
        if ctx.watermark >= expiry:
            return Step(None)
        findings: list[Finding] = []
        release = compiled_release(state)
        ready = ready_at(state)
        if ready is not None and ready <= ctx.watermark and not is_cancelled(release):
            for judgement in judge(release, ctx.params):
                if judgement.record in state["fired"]:
                    continue
                state = {**state, "fired": [*state["fired"], judgement.record]}
                findings.append(
                    stored_finding(
                        state,
                        subject=(SubjectKind.TENDER, state["ocid"]),
                        measured=judgement.measured,
                        threshold=judgement.threshold,
                        comparison=judgement.comparison,
                        evidence=event_ids(state),
                        moment=ready,
                        record_id=judgement.record or None,
                        details=judgement.details,
                    )
                )
        return Step(state, expiry, tuple(findings))

    return StatefulRule(meta, state_keys, on_event, on_timer)


def cardinal_judge(
    indicator: Callable[[Any], Indicator], verdict: Callable[[Any], Verdict]
) -> Callable[[Release, Any], list[Judgement]]:
    def judge(release: Release, params: Any) -> list[Judgement]:
        acc = Accumulator()
        check = indicator(params)
        check.fold(acc, release, release["ocid"])
        check.finalize(acc)
        value = acc.results.get(OCID_GROUP, {}).get(release["ocid"], {}).get(check.code)
        if value is None:
            return []
        judged = verdict(params)
        details = {
            "cardinal": {check.code: value},
            "tenderers": sorted(acc.results.get(TENDERER_GROUP, {})),
        }
        return [Judgement(Decimal(repr(value)), judged.threshold, judged.comparison, details)]

    return judge


def _expiry(process: Process, params: Any) -> datetime:
    return latest_time(process) + timedelta(days=params.retention_days)
