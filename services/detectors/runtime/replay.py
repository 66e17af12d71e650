"""Replay: the same rules over a range of the raw topics, read with a plain Kafka consumer.

Read-only (``reading``); the range is by Kafka record time. Every record is fed to one
engine running every rule (no partitioning needed in one process), and the
pending timers are flushed at the end, since the input is complete.

The auditor's replay (comparison with the alerts topic, HTML report) builds on
``read_range`` and ``replay_records``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from qinglian.settings import Settings
from qinglian.topics import clock_topic, detector_inputs
from services.detectors.core.alerts import Alert
from services.detectors.core.config import RuleSet
from services.detectors.errors import RuleEvaluationError
from services.detectors.runtime.process_memory import collect_long_lived_state_less_often
from services.detectors.runtime.processor import AllRulesDetector, Rejected
from services.detectors.runtime.quarantine import Quarantine
from services.detectors.runtime.reading import read_range
from services.detectors.runtime.records import Record

BATCH = 2000


@dataclass(slots=True)
class ReplayResult:
    alerts: list[Alert] = field(default_factory=list)
    events: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rule_errors: list[RuleEvaluationError] = field(default_factory=list)


def replay(
    settings: Settings,
    rule_set: RuleSet,
    *,
    start: datetime | None,
    end: datetime | None,
    detected_at: datetime,
) -> ReplayResult:
    """Replay the four raw topics and the clock topic between ``start`` and ``end`` (Kafka time),
    skipping the quarantined rule steps, as the live workers do."""
    skipped = Quarantine(settings).read().keys()
    records = read_range(settings, detector_inputs(settings), start=start, end=end)
    return replay_records(
        rule_set,
        records,
        detected_at=detected_at,
        clock_topic=clock_topic(settings),
        skipped=skipped,
    )


def replay_records(
    rule_set: RuleSet,
    records: Iterable[Record],
    *,
    detected_at: datetime,
    clock_topic: str | None = None,
    skipped: Container[str] = frozenset(),
) -> ReplayResult:
    """``clock_topic``: the records of this topic are clock declarations, as in a live worker.
    ``skipped``: labels of rule steps not to run (the quarantine)."""
    result = ReplayResult()
    collect_long_lived_state_less_often()
    detector = AllRulesDetector(
        rule_set, on_rule_error=result.rule_errors.append, clock_topic=clock_topic, skipped=skipped
    )
    for batch in _batches(records, BATCH):
        processed = detector.process(batch, detected_at=detected_at)
        result.alerts.extend(raised.alert for raised in processed.alerts)
        result.rejected.extend(processed.rejected)
        result.events += len(processed.processed_types)
    result.alerts.extend(detector.flush(detected_at=detected_at))
    return result


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
