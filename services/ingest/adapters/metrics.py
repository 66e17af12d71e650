"""Prometheus metrics of the ingest service, on a registry the composition root owns.

The first event of a (source, type) starts its accepted, duplicate and rejected
counters together, so "how many were rejected?" is 0 rather than no series.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.ingest.domain.results import ItemStatus

# Push requests carry up to a few hundred events; buckets stretch to the 5 s publish timeout.
PUSH_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNKNOWN_TYPE_LABEL = "unknown"


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._received = Counter(
            "qinglian_ingest_events_received_total",
            "Events received, before validation.",
            ["source", "type"],
            registry=registry,
        )
        self._results = Counter(
            "qinglian_ingest_events_total",
            "Events by outcome: accepted (stored in Kafka), duplicate, rejected (dead-lettered).",
            ["source", "type", "result"],
            registry=registry,
        )
        self._deadletters = Counter(
            "qinglian_ingest_deadletters_total",
            "Records written to the dead-letter topic, by stage and first rule broken.",
            ["stage", "reason"],
            registry=registry,
        )
        self.push_duration = Histogram(
            "qinglian_ingest_push_request_duration_seconds",
            "Time to answer POST /v1/events, including the wait for Kafka acknowledgements.",
            buckets=PUSH_LATENCY_BUCKETS,
            registry=registry,
        )
        self._seen: set[tuple[str, str]] = set()

    def received(self, source: str, event_type: str | None, count: int = 1) -> None:
        labels = (source, event_type or UNKNOWN_TYPE_LABEL)
        self._received.labels(*labels).inc(count)
        if labels not in self._seen:
            self._seen.add(labels)
            for status in ItemStatus:
                self._results.labels(*labels, status.value)

    def result(self, source: str, event_type: str | None, result: str, count: int = 1) -> None:
        self._results.labels(source, event_type or UNKNOWN_TYPE_LABEL, result).inc(count)

    def deadlettered(self, stage: str, reason: str, count: int = 1) -> None:
        self._deadletters.labels(stage, reason).inc(count)
