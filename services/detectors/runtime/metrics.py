"""The detector worker's Prometheus metrics, on a registry of its own.

``qinglian_detectors_last_event_timestamp_seconds`` is the wall-clock time the
worker last read a record, or recovering its tables applied one (its start, before the first), and
``qinglian_detectors_backlog_messages`` what waits in the partitions it is assigned:
``time() - value`` growing while its own backlog is not zero is a stalled worker, even
while the other workers of the group keep the group's lag moving.
``qinglian_detectors_watermark_timestamp_seconds`` is the event time up to which the
worker's input is complete: windows and deadlines before it have closed. Far behind the
wall clock with no lag, the sources are quiet (a term break): ``qinglian detectors clock``
closes what is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.detectors.core.engine import RuleStep
from services.detectors.runtime.records import Record
from services.detectors.runtime.stall import BatchInProgress, in_progress

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class DetectorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "qinglian_detectors_events_total",
            "Events read by the detectors, by CloudEvents type and result (processed, deadletter).",
            ["type", "result"],
            registry=registry,
        )
        self.alerts = Counter(
            "qinglian_detectors_alerts_total",
            "Alerts published, by rule and severity.",
            ["rule", "severity"],
            registry=registry,
        )
        self.event_to_alert = Histogram(
            "qinglian_detectors_event_to_alert_seconds",
            "Alert publish time minus the Kafka timestamp of the event that raised it.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.last_event = Gauge(
            "qinglian_detectors_last_event_timestamp_seconds",
            "Wall-clock time (Unix seconds) at which the worker last read a record, or applied a changelog record "
            "while it recovered its tables (its start, before the first).",
            registry=registry,
        )
        self.quarantined_steps = Gauge(
            "qinglian_detectors_quarantined_steps",
            "Rule steps in the quarantine as this worker last read it: skipped by every worker and replay "
            "until released or the rule's version changes.",
            registry=registry,
        )
        self.backlog = Gauge(
            "qinglian_detectors_backlog_messages",
            "Messages not yet committed in the partitions assigned to this worker: its share of the group's lag.",
            registry=registry,
        )
        self.batch_started = Gauge(
            "qinglian_detectors_batch_started_timestamp_seconds",
            "Wall-clock time (Unix seconds) at which the agent's batch in progress began; 0 between batches.",
            ["agent"],
            registry=registry,
        )
        self._batches: dict[str, tuple[float, Sequence[Record], Callable[[], RuleStep | None]]] = {}
        self._assigned: frozenset[tuple[str, int]] = frozenset()
        self.last_read = 0.0
        """The last-event gauge's value, for the stall watch (``stall``)."""
        self.watermark = Gauge(
            "qinglian_detectors_watermark_timestamp_seconds",
            "Event time (Unix seconds) up to which the worker's input is complete, by agent "
            "(school, global): the latest event time seen minus the allowed lateness.",
            ["agent"],
            registry=registry,
        )
        self.rule_errors = Counter(
            "qinglian_detectors_rule_errors_total",
            "Rule evaluations that raised, by rule.",
            ["rule"],
            registry=registry,
        )

    def start_at_zero(self, rule_ids: Iterable[str]) -> None:
        """Create every enabled rule's error series at 0, so "how many rule errors?" has an answer before the first."""
        for rule_id in rule_ids:
            self.rule_errors.labels(rule_id)

    def note_read(self, at: float) -> None:
        """The worker read records (or applied changelog records) at ``at`` (Unix seconds), or started then."""
        self.last_read = at
        self.last_event.set(at)

    def batch_begun(
        self,
        agent: str,
        records: Sequence[Record],
        at: float,
        step: Callable[[], RuleStep | None] = lambda: None,
    ) -> None:
        """``step``: tells the rule step the batch is running (from any thread)."""
        self._batches[agent] = (at, records, step)
        self.batch_started.labels(agent).set(at)

    def batch_done(self, agent: str) -> None:
        self._batches.pop(agent, None)
        self.batch_started.labels(agent).set(0)

    def batches_in_progress(self, now: float) -> dict[str, BatchInProgress]:
        """What each agent is busy with (read from another thread: the stall watch's)."""
        return {
            agent: in_progress(records, now - at, step())
            for agent, (at, records, step) in dict(self._batches).items()
        }

    def observe_assignment(self, assigned: Iterable[tuple[str, int]]) -> None:
        """The (topic, partition) pairs the worker's consumer is assigned now (from its event loop)."""
        self._assigned = frozenset((topic, partition) for topic, partition in assigned)

    def observe_lag(self, lag: Mapping[tuple[str, int], int]) -> int:
        """The group's lag per (topic, partition), measured by the lag exporter's thread: the
        backlog (returned) is its sum over the partitions last observed assigned to this worker."""
        assigned = self._assigned
        backlog = sum(
            messages
            for (topic, partition), messages in lag.items()
            if (topic, partition) in assigned
        )
        self.backlog.set(backlog)
        return backlog
