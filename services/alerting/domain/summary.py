"""The summary page's figures: case counts by risk area, school, rule, state and severity, and time to close."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from services.alerting.domain.alerts import RiskArea, Severity
from services.alerting.domain.workflow import CaseState

# (risk area, school id, rule id, state, severity, number of cases)
CountRow = tuple[RiskArea, str | None, str, CaseState, Severity, int]


@dataclass(frozen=True, slots=True)
class CloseTimes:
    """Time from opening to closing; ``None`` figures when no case was closed."""

    count: int
    median: timedelta | None
    p90: timedelta | None
    mean: timedelta | None


@dataclass(frozen=True, slots=True)
class CaseSummary:
    total: int
    open: int
    by_risk_area: Counter[RiskArea]
    by_school: Counter[str | None]
    by_rule: Counter[str]
    by_state: Counter[CaseState]
    by_severity: Counter[Severity]
    close_times: CloseTimes


def summarize(rows: Iterable[CountRow], durations: Sequence[timedelta]) -> CaseSummary:
    by_risk_area: Counter[RiskArea] = Counter()
    by_school: Counter[str | None] = Counter()
    by_rule: Counter[str] = Counter()
    by_state: Counter[CaseState] = Counter()
    by_severity: Counter[Severity] = Counter()
    for risk_area, school_id, rule_id, state, severity, count in rows:
        by_risk_area[risk_area] += count
        by_school[school_id] += count
        by_rule[rule_id] += count
        by_state[state] += count
        by_severity[severity] += count
    return CaseSummary(
        total=sum(by_state.values()),
        open=sum(count for state, count in by_state.items() if state.is_open),
        by_risk_area=by_risk_area,
        by_school=by_school,
        by_rule=by_rule,
        by_state=by_state,
        by_severity=by_severity,
        close_times=close_times(durations),
    )


def close_times(durations: Sequence[timedelta]) -> CloseTimes:
    if not durations:
        return CloseTimes(0, None, None, None)
    ordered = sorted(durations)
    return CloseTimes(
        count=len(ordered),
        median=_nearest_rank(ordered, 0.5),
        p90=_nearest_rank(ordered, 0.9),
        mean=sum(ordered, timedelta()) / len(ordered),
    )


def _nearest_rank(ordered: Sequence[timedelta], fraction: float) -> timedelta:
    """The nearest-rank percentile: a duration that actually occurred, never an interpolation."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
