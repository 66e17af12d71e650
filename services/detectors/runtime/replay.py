"""Replay: the same rules over a range of the raw topics, read with a plain Kafka consumer.

Read-only: the consumer has no group, commits nothing and writes nothing. The
range is by Kafka record time (when the event reached Kafka): ``start`` is
inclusive, ``end`` exclusive, either may be open. Every record is fed to one
engine running every rule (no partitioning needed in one process), and the
pending timers are flushed at the end, since the input is complete.

The auditor's replay (comparison with the alerts topic, HTML report) builds on
``read_range`` and ``replay_records``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import clock_topic, detector_inputs
from services.detectors.core.alerts import Alert
from services.detectors.core.config import RuleSet
from services.detectors.errors import DetectorError, RuleEvaluationError
from services.detectors.runtime.process_memory import collect_long_lived_state_less_often
from services.detectors.runtime.processor import AllRulesDetector, Rejected
from services.detectors.runtime.records import Record

POLL_TIMEOUT_MS = 500
BATCH = 2000
BUFFER_HIGH = 20_000
BUFFER_LOW = 5_000


@dataclass(slots=True)
class ReplayResult:
    alerts: list[Alert] = field(default_factory=list)
    events: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    rule_errors: list[RuleEvaluationError] = field(default_factory=list)


class ReplayRangeError(DetectorError):
    pass


def replay(settings: Settings, rule_set: RuleSet, *, start: datetime | None, end: datetime | None, detected_at: datetime) -> ReplayResult:
    """Replay the four raw topics and the clock topic between ``start`` and ``end`` (Kafka time)."""
    records = read_range(settings, detector_inputs(settings), start=start, end=end)
    return replay_records(rule_set, records, detected_at=detected_at, clock_topic=clock_topic(settings))


def replay_records(
    rule_set: RuleSet, records: Iterable[Record], *, detected_at: datetime, clock_topic: str | None = None
) -> ReplayResult:
    """``clock_topic``: the records of this topic are clock declarations, as in a live worker."""
    result = ReplayResult()
    collect_long_lived_state_less_often()
    detector = AllRulesDetector(rule_set, on_rule_error=result.rule_errors.append, clock_topic=clock_topic)
    for batch in _batches(records, BATCH):
        processed = detector.process(batch, detected_at=detected_at)
        result.alerts.extend(raised.alert for raised in processed.alerts)
        result.rejected.extend(processed.rejected)
        result.events += len(processed.processed_types)
    result.alerts.extend(detector.flush(detected_at=detected_at))
    return result


def read_range(
    settings: Settings, topics: Sequence[str], *, start: datetime | None, end: datetime | None
) -> Iterator[Record]:
    """Every record of ``topics`` with ``start <= Kafka time < end``, merged by Kafka time."""
    if start is not None and end is not None and end <= start:
        raise ReplayRangeError(f"回放区间为空 / --to {end.isoformat()} must be after --from {start.isoformat()}")
    reader = broker.consumer(
        settings, group_id=None, enable_auto_commit=False, max_poll_records=5000, fetch_max_bytes=64 * 1024 * 1024
    )
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic) or ())]
        if not partitions:
            raise ReplayRangeError(f"主题不存在 / none of the topics exist: {', '.join(topics)}")
        reader.assign(partitions)
        first = _offsets_at(reader, partitions, start, default=reader.beginning_offsets(partitions))
        stop = _offsets_at(reader, partitions, end, default=reader.end_offsets(partitions))
        remaining = {tp: stop[tp] for tp in partitions if first[tp] < stop[tp]}
        for tp in partitions:
            reader.seek(tp, first[tp])
        reader.pause(*[tp for tp in partitions if tp not in remaining])
        yield from _merged(reader, remaining)
    finally:
        reader.close()


def _merged(reader: KafkaConsumer, stop: dict[TopicPartition, int]) -> Iterator[Record]:
    """Records of every partition merged by Kafka timestamp, as a live worker would have met them.

    Reading partition after partition would show the engine one school's whole range before the
    next school's first event, and its watermark would close the others' windows early.
    """
    buffers: dict[TopicPartition, deque[ConsumerRecord]] = {tp: deque() for tp in stop}
    fetching = set(stop)
    while True:
        if any(not buffers[tp] for tp in fetching):
            _fetch(reader, stop, buffers, fetching)
            continue
        heads = sorted((buffer[0].timestamp, tp) for tp, buffer in buffers.items() if buffer)
        if not heads:
            return
        tp = heads[0][1]
        until = heads[1][0] if len(heads) > 1 else None
        buffer = buffers[tp]
        while buffer and (until is None or buffer[0].timestamp <= until):
            message = buffer.popleft()
            yield Record(tp.topic, tp.partition, message.offset, message.timestamp / 1000, message.key, message.value)
        if len(buffer) < BUFFER_LOW and tp in fetching:
            reader.resume(tp)


def _fetch(
    reader: KafkaConsumer,
    stop: dict[TopicPartition, int],
    buffers: dict[TopicPartition, deque[ConsumerRecord]],
    fetching: set[TopicPartition],
) -> None:
    for tp, batch in reader.poll(timeout_ms=POLL_TIMEOUT_MS).items():
        if tp not in fetching:
            continue
        buffers[tp].extend(message for message in batch if message.offset < stop[tp])
        if batch[-1].offset + 1 >= stop[tp]:
            fetching.discard(tp)
            reader.pause(tp)
        elif len(buffers[tp]) > BUFFER_HIGH:
            reader.pause(tp)  # bounded memory: resumed once drained below BUFFER_LOW


def _offsets_at(
    reader: KafkaConsumer, partitions: list[TopicPartition], moment: datetime | None, *, default: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """The first offset at or after ``moment`` in each partition (``default`` when open or past the end)."""
    if moment is None:
        return default
    found = reader.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in partitions})
    ends = reader.end_offsets(partitions)
    return {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
