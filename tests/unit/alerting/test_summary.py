"""Summary figures: counts folded by dimension, time to close as nearest-rank percentiles."""

from __future__ import annotations

from datetime import timedelta

from services.alerting.domain.alerts import RiskArea, Severity
from services.alerting.domain.summary import close_times, summarize
from services.alerting.domain.workflow import CaseState


def test_close_times_use_durations_that_occurred() -> None:
    times = close_times([timedelta(days=d) for d in (9, 1, 2, 3, 4, 5, 6, 7, 8, 10)])
    assert (times.count, times.median, times.p90, times.mean) == (
        10,
        timedelta(days=5),
        timedelta(days=9),
        timedelta(days=5.5),
    )
    assert close_times([]).median is None


def test_counts_are_folded_per_dimension() -> None:
    rows = [
        (RiskArea.CANTEEN, "s1", "C6", CaseState.NEW, Severity.RED, 3),
        (RiskArea.CANTEEN, "s2", "C6", CaseState.CLOSED, Severity.ORANGE, 2),
        (RiskArea.FINANCE, None, "F1", CaseState.DISMISSED, Severity.ORANGE, 1),
    ]
    summary = summarize(rows, [])
    assert (summary.total, summary.open) == (6, 3)
    assert summary.by_rule == {"C6": 5, "F1": 1}
    assert summary.by_school == {"s1": 3, "s2": 2, None: 1}
    assert summary.by_severity == {Severity.RED: 3, Severity.ORANGE: 3}
