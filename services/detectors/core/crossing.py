"""The life cycle shared by threshold rules over an event-time ledger.

A key's state holds its ledger; after each change the rule computes where, in
event-time order, its condition first held (a :class:`Crossing`). The alert is
emitted once the watermark passes that moment, so events arriving out of order
within the allowed lateness cannot change it, and only once per key. The state
is dropped when its window closes; an event for a closed window is too late and
is ignored (it could only reopen an alert that was already decided).

Rules that decide once per window (a term's surplus, a quarter's Benford test)
use :func:`judge_when_closed` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.model import Finding
from services.detectors.core.pages import Page
from services.detectors.core.rule import State, Step


@dataclass(frozen=True, slots=True)
class Crossing:
    time: datetime
    evidence: tuple[str, ...]
    measured: Decimal
    threshold: Decimal
    details: Mapping[str, Any] = field(default_factory=dict)


def is_closed(closes_at: datetime | None, watermark: datetime | None) -> bool:
    return closes_at is not None and watermark is not None and closes_at <= watermark


def settle(
    state: State,
    watermark: datetime | None,
    crossing: Crossing | None,
    to_finding: Callable[[Crossing], Finding],
    *,
    closes_at: datetime | None = None,
) -> Step:
    """Emit the crossing if the watermark has passed it, then keep, re-arm or drop the state."""
    findings: tuple[Finding, ...] = ()
    if (
        not state.get("fired")
        and crossing is not None
        and watermark is not None
        and crossing.time <= watermark
    ):
        findings = (to_finding(crossing),)
        state = {**state, "fired": True}
    if state.get("fired"):
        state = {
            **state,
            "entries": {},
        }  # decided: the evidence is in the alert, not needed any more
    if is_closed(closes_at, watermark):
        return Step(None, None, findings)
    pending = None if state.get("fired") or crossing is None else crossing.time
    return Step(state, pending or closes_at, findings)


def judge_when_closed(
    state: State,
    watermark: datetime | None,
    closes_at: datetime,
    judge: Callable[[State], Iterable[Finding]],
    pages: Mapping[str, Page | None] | None = None,
) -> Step:
    """For rules that decide once per window: judge and drop the state (and its pages)
    when the window is final; until then keep it with the ``pages`` the step changed."""
    if is_closed(closes_at, watermark):
        return Step(None, None, tuple(judge(state)))
    return Step(state, closes_at, pages=pages or {})
