"""Consumer lag, exported by Qinglian itself: ``qinglian_consumer_lag_messages{group,topic,partition}``.

A background thread asks the broker, every ``interval`` seconds, for a consumer
group's committed offsets and the end offsets of the topics it reads, and sets
one gauge per partition. A partition the group has not committed yet counts from
the start of the log. Broker errors are logged and retried on the next tick; lag
is an observation, it must never stop the service it watches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Gauge

from qinglian import broker
from qinglian.errors import QinglianError
from qinglian.settings import Settings

log = structlog.get_logger(__name__)


def consumer_lag(
    committed: Mapping[TopicPartition, int],
    beginning: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """Messages between the committed offset (or the log start) and the end of each partition."""
    return {tp: max(0, last - committed.get(tp, beginning.get(tp, 0))) for tp, last in end.items()}


class LagExporter:
    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: Sequence[str],
        registry: CollectorRegistry,
        *,
        interval: float = 15.0,
        on_measure: Callable[[dict[TopicPartition, int]], None] | None = None,
    ) -> None:
        """``on_measure``: also told every measurement the background thread makes."""
        self._settings = settings
        self._on_measure = on_measure
        self._group = group
        self._topics = tuple(topics)
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gauge = Gauge(
            "qinglian_consumer_lag_messages",
            "Messages not yet committed by a consumer group, per topic partition.",
            ["group", "topic", "partition"],
            registry=registry,
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"lag-{self._group}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 5)

    def measure(self) -> dict[TopicPartition, int]:
        """One measurement; sets the gauges and returns the lag per partition."""
        admin = broker.admin_client(self._settings)
        reader = KafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers.split(","), group_id=None
        )
        try:
            committed = {
                tp: meta.offset
                for tp, meta in admin.list_consumer_group_offsets(self._group).items()
                if tp.topic in self._topics and meta.offset >= 0
            }
            partitions = broker.topic_partitions(reader, self._topics)
            lag = consumer_lag(
                committed, reader.beginning_offsets(partitions), reader.end_offsets(partitions)
            )
        finally:
            reader.close()
            admin.close()
        for tp, messages in lag.items():
            self._gauge.labels(self._group, tp.topic, str(tp.partition)).set(messages)
        return lag

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                lag = self.measure()
                if self._on_measure is not None:
                    self._on_measure(lag)
            except (KafkaError, QinglianError, OSError) as exc:
                log.warning("consumer_lag_unavailable", group=self._group, error=str(exc))
            self._stop.wait(self._interval)
