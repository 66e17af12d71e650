"""One agent's batch, end to end: detector, then publish, then write state.

The order is what makes a SIGKILL safe. Alerts, dead letters and repartitioned
events are published and acknowledged by the broker first; then every state key
the batch changed is written once to its table's changelog, in the partition of
the key's school (or global key), and acknowledged; only then does faust ack the
batch's offsets. A worker killed anywhere in between re-processes the batch with
state no newer than its offsets: alerts come out again with the same ids.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import faust
import structlog
from faust.types import EventT, TopicT

from contracts.errors import ContractViolation
from contracts.registry import validate
from services.detectors.errors import RuleEvaluationError
from services.detectors.runtime.messages import (
    alert_event,
    alert_key,
    deadletter_record,
    forwarded_event,
    invalid_alert_record,
    to_json,
)
from services.detectors.runtime.metrics import DetectorMetrics
from services.detectors.runtime.partitioning import partition_for, routing_key
from services.detectors.runtime.processor import BatchResult, GlobalDetector, SchoolDetector
from services.detectors.runtime.records import Record
from services.detectors.runtime.store import BufferedTableStore, split_table_key

log = structlog.get_logger("qinglian.detectors")


@dataclass(frozen=True, slots=True)
class Outputs:
    alerts: TopicT
    deadletter: TopicT
    repartitioned: TopicT
    partitions: int


class BatchRunner:
    """Runs one agent's batches: detector → publish → write state, in that order."""

    def __init__(
        self,
        app: faust.App,
        table: faust.Table,
        source_topics: Sequence[str],
        outputs: Outputs,
        metrics: DetectorMetrics | None,
        detector_factory: Callable[[BufferedTableStore], SchoolDetector | GlobalDetector],
    ) -> None:
        self._app = app
        self._table = table
        self._sources = frozenset(source_topics)
        self._ownership_topic = source_topics[0]  # co-partitioned: one topic tells the partitions
        self._outputs = outputs
        self._metrics = metrics
        self._owned: frozenset[int] = frozenset()
        self.store = BufferedTableStore(table.data, self._owns)
        self.detector = detector_factory(self.store)

    async def run(self, events: Sequence[EventT]) -> None:
        self._follow_assignment()
        # A batch may still hold records of partitions revoked meanwhile: their new owner re-reads them.
        records = [_record(event) for event in events if event.message.partition in self._owned]
        consumer = self._app.consumer
        owned = [tp for tp in consumer.assignment() if tp.topic in self._sources]
        # faust keeps the committed offsets it read at assignment; there is no public accessor.
        committed = consumer._committed_offset  # noqa: SLF001
        self.detector.clocks.start_batch(
            {(tp.topic, tp.partition): consumer.highwater(tp) for tp in owned},
            {(tp.topic, tp.partition): committed.get(tp) for tp in owned},
        )
        result = self.detector.process(records, detected_at=datetime.now(UTC))
        await self._publish(result)
        await self._write_state()
        self._count(result)

    def _owns(self, state_key: str) -> bool:
        return partition_for(routing_key(state_key), self._outputs.partitions) in self._owned

    def _follow_assignment(self) -> None:
        owned = frozenset(tp.partition for tp in self._app.consumer.assignment() if tp.topic == self._ownership_topic)
        if owned != self._owned:
            self._owned = owned
            self.detector.restart()
            log.info("partitions_assigned", topics=sorted(self._sources), partitions=sorted(owned))

    async def _publish(self, result: BatchResult) -> None:
        outputs = self._outputs
        now = datetime.now(UTC)
        pending = []
        for raised in result.alerts:
            document = alert_event(raised.alert)
            try:
                validate(document)
            except ContractViolation as exc:
                self._rule_failed(raised.alert.rule_id, str(exc))
                letter = invalid_alert_record(document, exc, at=now)
                pending.append(outputs.deadletter.send_soon(key=letter["id"].encode(), value=to_json(letter)))
                continue
            pending.append(outputs.alerts.send_soon(key=alert_key(raised.alert), value=to_json(document)))
        for rejected in result.rejected:
            letter = deadletter_record(rejected.record, rejected.problem, at=now)
            pending.append(outputs.deadletter.send_soon(key=letter["id"].encode(), value=to_json(letter)))
            if self._metrics is not None:
                self._metrics.events.labels(letter["event_type"] or "unknown", "deadletter").inc()
        for forward in result.forwards:
            pending.append(
                outputs.repartitioned.send_soon(
                    key=forward.state_key.encode(),
                    value=forwarded_event(forward.rule_id, forward.state_key, forward.event),
                    partition=partition_for(forward.state_key, outputs.partitions),
                    timestamp=forward.timestamp,
                )
            )
        if pending:
            await asyncio.gather(*pending)
        if self._metrics is not None:
            published_at = time.time()
            for raised in result.alerts:
                self._metrics.alerts.labels(raised.alert.rule_id, raised.alert.severity).inc()
                if raised.origin_timestamp is not None:
                    self._metrics.event_to_alert.observe(max(0.0, published_at - raised.origin_timestamp))

    async def _write_state(self) -> None:
        data = self._table.data
        pending = []
        for name, value in self.store.take_changes().items():
            _, key = split_table_key(name)
            partition = partition_for(routing_key(key), self._outputs.partitions)
            if value is None:
                data.pop(name, None)
                pending.append(self._table.send_changelog(partition, name, None, value_serializer="raw"))
            else:
                data[name] = value
                pending.append(self._table.send_changelog(partition, name, value))
        if pending:
            await asyncio.gather(*pending)

    def _count(self, result: BatchResult) -> None:
        if self._metrics is None:
            return
        for event_type, count in Counter(result.processed_types).items():
            self._metrics.events.labels(event_type, "processed").inc(count)
        self._metrics.last_event.set(time.time())
        if result.rejected:
            log.warning("records_deadlettered", count=len(result.rejected), reason=str(result.rejected[0].problem))

    def _rule_failed(self, rule_id: str, message: str) -> None:
        log.error("rule_error", rule=rule_id, error=message)
        if self._metrics is not None:
            self._metrics.rule_errors.labels(rule_id).inc()


def _record(event: EventT) -> Record:
    message = event.message
    return Record(message.topic, message.partition, message.offset, message.timestamp, message.key, message.value)


def rule_error_handler(metrics: DetectorMetrics | None) -> Callable[[RuleEvaluationError], None]:
    def on_rule_error(error: RuleEvaluationError) -> None:
        log.warning("rule_error", rule=error.rule_id, event_id=error.event_id, error=str(error))
        if metrics is not None:
            metrics.rule_errors.labels(error.rule_id).inc()

    return on_rule_error
