"""One agent's batch, end to end: detector, then publish, then write state.

The order is what makes a SIGKILL safe. Alerts, dead letters and repartitioned
events are published and acknowledged by the broker first; then every state key
the batch changed is written once to its table's changelog, in the partition of
the key's school (or global key), and acknowledged; only then does faust ack the
batch's offsets, which it commits up to ``commit_interval`` later. A worker killed
before the changelog write re-processes the batch from the state before it; killed
after it, before the commit, it re-processes the batch against state that already
holds it: a rule must not count an event twice (tests/unit/detectors/test_redelivery.py
feeds every rule each batch of a simulated district twice). Either way the alerts come
out again with the same ids.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import faust
import structlog
from aiokafka import AIOKafkaProducer
from faust.types import TP, EventT

from contracts.errors import ContractViolation
from contracts.registry import validate
from services.detectors.errors import RuleEvaluationError
from services.detectors.runtime.messages import (
    Forward,
    Tick,
    alert_event,
    alert_key,
    deadletter_record,
    forward_bundle,
    forwarded_item,
    invalid_alert_record,
    to_json,
)
from services.detectors.runtime.metrics import DetectorMetrics
from services.detectors.runtime.partitioning import partition_for, state_partition
from services.detectors.runtime.process_memory import release_free_memory
from services.detectors.runtime.processor import BatchResult, GlobalDetector, SchoolDetector
from services.detectors.runtime.producing import Outgoing, produce
from services.detectors.runtime.records import Record
from services.detectors.runtime.store import BufferedTableStore, split_table_key

log = structlog.get_logger("qinglian.detectors")

MAX_BUNDLE_BYTES = 1024**2
"""A repartitioned record holds forwards up to this size (one larger forward goes alone)."""
TRIM_INTERVAL_SECONDS = 2.0
"""How often a runner hands freed batch memory back to the system (see ``process_memory``)."""


@dataclass(frozen=True, slots=True)
class Outputs:
    """The topics a runner writes to, by name."""

    alerts: str
    deadletter: str
    repartitioned: str
    partitions: int


@dataclass(frozen=True, slots=True)
class Publication:
    records: list[Outgoing]
    invalid_alerts: list[tuple[str, str]]
    """(rule id, contract violation) of alerts that went to the dead-letter topic instead."""
    rejected_types: list[str]
    """The event type of each rejected record ("unknown" when it has none)."""


def publication(result: BatchResult, outputs: Outputs, *, at: datetime) -> Publication:
    """What a batch publishes: valid alerts, dead letters (rejected records and alerts that break
    the contract) and the events repartitioned for the global rules."""
    records: list[Outgoing] = []
    invalid: list[tuple[str, str]] = []
    rejected_types: list[str] = []
    for raised in result.alerts:
        document = alert_event(raised.alert)
        try:
            validate(document)
        except ContractViolation as exc:
            invalid.append((raised.alert.rule_id, str(exc)))
            letter = invalid_alert_record(document, exc, at=at)
            records.append(Outgoing(outputs.deadletter, letter["id"].encode(), to_json(letter)))
            continue
        records.append(Outgoing(outputs.alerts, alert_key(raised.alert), to_json(document)))
    for rejected in result.rejected:
        letter = deadletter_record(rejected.record, rejected.problem, at=at, item=rejected.item)
        records.append(Outgoing(outputs.deadletter, letter["id"].encode(), to_json(letter)))
        rejected_types.append(letter["event_type"] or "unknown")
    records += bundles(result.forwards, outputs)
    return Publication(records, invalid, rejected_types)


def bundles(forwards: Sequence[Forward | Tick], outputs: Outputs) -> list[Outgoing]:
    """The batch's forwards as repartitioned records: per partition, in batch order, as few
    records as ``MAX_BUNDLE_BYTES`` allows; a record's timestamp is its earliest forward's.
    A tick goes to every partition, after the forwards that came before it."""
    by_partition: dict[int, list[Forward | Tick]] = {}
    for forward in forwards:
        if isinstance(forward, Tick):
            for partition in range(outputs.partitions):
                by_partition.setdefault(partition, []).append(forward)
        else:
            by_partition.setdefault(
                partition_for(forward.state_key, outputs.partitions), []
            ).append(forward)
    records: list[Outgoing] = []
    empty = len(forward_bundle([]))
    for partition, planned in sorted(by_partition.items()):
        chunks: list[list[tuple[bytes, float | None]]] = [[]]
        size = empty
        for forward in planned:
            item = forwarded_item(forward)
            if chunks[-1] and size + len(item) > MAX_BUNDLE_BYTES:
                chunks.append([])
                size = empty
            chunks[-1].append((item, forward.timestamp))
            size += len(item) + 1  # and its comma
        for chunk in chunks:
            stamps = [stamp for _, stamp in chunk if stamp is not None]
            value = forward_bundle([item for item, _ in chunk])
            records.append(
                Outgoing(outputs.repartitioned, None, value, partition, min(stamps, default=None))
            )
    return records


def changelog_records(
    changes: Mapping[str, bytes | None], topic: str, partitions: int
) -> list[Outgoing]:
    """One changelog record per changed table key, in its key's partition: the key serialized as
    the table's JSON schema reads it back on recovery, the value as the engine encoded it
    (None: a tombstone)."""
    return [
        Outgoing(topic, to_json(name), value, state_partition(split_table_key(name)[1], partitions))
        for name, value in changes.items()
    ]


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
        *,
        agent: str,
    ) -> None:
        """``agent``: the name the runner's metrics carry (school, global)."""
        self._app = app
        self._agent = agent
        self._table = table
        self._sources = frozenset(source_topics)
        self._ownership_topic = source_topics[0]  # co-partitioned: one topic tells the partitions
        self._outputs = outputs
        self._metrics = metrics
        self._owned: frozenset[int] = frozenset()
        self._next_trim = 0.0
        self._one_batch_at_a_time = asyncio.Lock()
        self.store = BufferedTableStore(table.data, self._owns)
        self.detector = detector_factory(self.store)

    async def run(self, events: Sequence[EventT]) -> None:
        async with self._one_batch_at_a_time:
            await self._run(events)

    async def take_over_quiet_partitions(self) -> None:
        """Run an empty batch when partitions came to this worker and no event of theirs has yet:
        what their state holds acts now, not at their next event. A declaration the previous
        owner read and had not passed on (it read the clock record, so the group will not hand
        it out again) is made when the sources are quiet, and would otherwise wait for the
        next event, which may come weeks later."""
        if not self._app.rebalancing and self._assigned() != self._owned:
            await self.run([])

    async def _run(self, events: Sequence[EventT]) -> None:
        self._follow_assignment()
        # A batch may still hold records of partitions revoked meanwhile: their new owner re-reads them.
        records = [_record(event) for event in events if event.message.partition in self._owned]
        if self._metrics is not None:
            self._metrics.batch_begun(
                self._agent, records, time.time(), self.detector.step_in_progress
            )
        try:
            result = await self._detect_publish_write(records)
        finally:
            if self._metrics is not None:
                self._metrics.batch_done(self._agent)
        self._count(result, read_any=bool(records))
        passed_on = {
            tick.origin: tick.through.isoformat()
            for tick in result.forwards
            if isinstance(tick, Tick)
        }
        if passed_on:
            log.info("clock_declarations_passed_on", through_by_clock_partition=passed_on)
        if time.monotonic() >= self._next_trim:
            release_free_memory()
            self._next_trim = time.monotonic() + TRIM_INTERVAL_SECONDS

    async def _detect_publish_write(self, records: list[Record]) -> BatchResult:
        consumer = self._app.consumer
        owned = [tp for tp in consumer.assignment() if tp.topic in self._sources]
        ends: Mapping[TP, int | None] = {tp: consumer.highwater(tp) for tp in owned}
        if self.detector.reads_declarations(records):
            # The end offsets the consumer caches come with its fetches, and a raw partition's may
            # predate the events its source sent before the declaration: ask the broker.
            ends = await consumer.highwaters(*owned)
        # faust keeps the committed offsets it read at assignment; there is no public accessor.
        committed = consumer._committed_offset
        self.detector.clocks.start_batch(
            {(tp.topic, tp.partition): ends.get(tp) for tp in owned},
            {(tp.topic, tp.partition): committed.get(tp) for tp in owned},
        )
        result = self.detector.process(records, detected_at=datetime.now(UTC))
        await self._publish(result)
        await self._write_state()
        return result

    def _producer(self) -> AIOKafkaProducer:
        """The app's aiokafka producer, for its batch API (faust keeps it private)."""
        return self._app.producer._ensure_producer()  # type: ignore[attr-defined]

    def _owns(self, state_key: str) -> bool:
        return state_partition(state_key, self._outputs.partitions) in self._owned

    def _assigned(self) -> frozenset[int]:
        return frozenset(
            tp.partition
            for tp in self._app.consumer.assignment()
            if tp.topic == self._ownership_topic
        )

    def _follow_assignment(self) -> None:
        owned = self._assigned()
        if owned != self._owned:
            self._owned = owned
            self.detector.restart(owned)
            log.info("partitions_assigned", topics=sorted(self._sources), partitions=sorted(owned))

    async def _publish(self, result: BatchResult) -> None:
        planned = publication(result, self._outputs, at=datetime.now(UTC))
        for rule_id, problem in planned.invalid_alerts:
            self._rule_failed(rule_id, problem)
        await produce(self._producer(), planned.records)
        if self._metrics is not None:
            published_at = time.time()
            for event_type in planned.rejected_types:
                self._metrics.events.labels(event_type, "deadletter").inc()
            for raised in result.alerts:
                self._metrics.alerts.labels(raised.alert.rule_id, raised.alert.severity).inc()
                if raised.origin_timestamp is not None:
                    self._metrics.event_to_alert.observe(
                        max(0.0, published_at - raised.origin_timestamp)
                    )

    async def _write_state(self) -> None:
        """Changelog first, then the local store: a store never holds state its changelog lacks."""
        topic = self._table.changelog_topic.get_topic_name()
        records = changelog_records(self.store.take_changes(), topic, self._outputs.partitions)
        written = await produce(self._producer(), records)
        offsets = {tp.partition: offset for tp, offset in written.items()}
        self._table.data.write(((r.partition, r.key, r.value) for r in records), offsets)

    def _count(self, result: BatchResult, *, read_any: bool) -> None:
        if result.rejected:
            log.warning(
                "records_deadlettered",
                count=len(result.rejected),
                reason=str(result.rejected[0].problem),
            )
        if self._metrics is None:
            return
        for event_type, count in Counter(result.processed_types).items():
            self._metrics.events.labels(event_type, "processed").inc(count)
        if read_any:
            self._metrics.note_read(time.time())
        watermark = self.detector.watermark
        if watermark is not None:
            self._metrics.watermark.labels(self._agent).set(watermark.timestamp())

    def _rule_failed(self, rule_id: str, message: str) -> None:
        log.error("rule_error", rule=rule_id, error=message)
        if self._metrics is not None:
            self._metrics.rule_errors.labels(rule_id).inc()


def _record(event: EventT) -> Record:
    message = event.message
    return Record(
        message.topic,
        message.partition,
        message.offset,
        message.timestamp,
        message.key,
        message.value,
    )


def rule_error_handler(metrics: DetectorMetrics | None) -> Callable[[RuleEvaluationError], None]:
    def on_rule_error(error: RuleEvaluationError) -> None:
        log.warning("rule_error", rule=error.rule_id, event_id=error.event_id, error=str(error))
        if metrics is not None:
            metrics.rule_errors.labels(error.rule_id).inc()

    return on_rule_error
