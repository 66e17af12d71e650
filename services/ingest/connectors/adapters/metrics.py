"""Prometheus metrics of the pull connectors, on the ingest registry the composition root owns.

    qinglian_ingest_connector_records_total{connector,result}        accepted / duplicate / rejected
    qinglian_ingest_connector_last_success_timestamp_seconds{connector}  end of the last complete pass
    qinglian_ingest_connector_lag_seconds{connector}                  now minus the newest source time stored

The lag is computed when Prometheus scrapes, so it keeps growing while a
connector is stuck instead of freezing at its last value. A connector's record
counters start at zero for every outcome once it has reported anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.ingest.domain.results import ItemResult, ItemStatus

LAG_METRIC = "qinglian_ingest_connector_lag_seconds"


class ConnectorMetrics:
    def __init__(
        self, registry: CollectorRegistry, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._records = Counter(
            "qinglian_ingest_connector_records_total",
            "Records pulled by a connector, by outcome of the ingest use case.",
            ["connector", "result"],
            registry=registry,
        )
        self._last_success = Gauge(
            "qinglian_ingest_connector_last_success_timestamp_seconds",
            "Unix time at which the connector last finished a pull pass without error.",
            ["connector"],
            registry=registry,
        )
        self._watermarks: dict[str, datetime] = {}
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._clock = clock
        registry.register(_LagCollector(self))

    def recorded(self, connector_id: str, results: Sequence[ItemResult]) -> None:
        self._start_counters(connector_id)
        for result in results:
            self._records.labels(connector_id, result.status.value).inc()

    def watermark(self, connector_id: str, watermark: datetime | None) -> None:
        if watermark is None:
            return
        with self._lock:
            known = self._watermarks.get(connector_id)
            self._watermarks[connector_id] = watermark if known is None else max(known, watermark)

    def succeeded(self, connector_id: str, at: datetime) -> None:
        self._start_counters(connector_id)
        self._last_success.labels(connector_id).set(at.timestamp())

    def _start_counters(self, connector_id: str) -> None:
        if connector_id not in self._seen:
            self._seen.add(connector_id)
            for status in ItemStatus:
                self._records.labels(connector_id, status.value)

    def lags(self) -> dict[str, float]:
        now = self._clock()
        with self._lock:
            return {
                connector: (now - mark).total_seconds()
                for connector, mark in self._watermarks.items()
            }


class _LagCollector(Collector):
    def __init__(self, metrics: ConnectorMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            LAG_METRIC,
            "Seconds between now and the newest source time the connector stored.",
            labels=["connector"],
        )
        for connector, lag in sorted(self._metrics.lags().items()):
            family.add_metric([connector], lag)
        yield family
