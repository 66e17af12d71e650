"""Reading Kafka topics with a plain consumer: a range of records, merged by Kafka time.

Read-only: the consumer has no group, commits nothing and writes nothing. The
range is by Kafka record time (when the record reached Kafka): ``start`` is
inclusive, ``end`` exclusive, either may be open. Replay, the auditor's replay and
the quarantine read with it. A read that gets nothing for ``READ_IDLE_SECONDS`` while records
are left to read stops with ``ReadStalledError`` instead of waiting for ever.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from qinglian import broker
from qinglian.settings import Settings
from services.detectors.errors import DetectorError
from services.detectors.runtime.records import Record

POLL_TIMEOUT_MS = 500
BUFFER_HIGH = 20_000
BUFFER_LOW = 5_000
READ_IDLE_SECONDS = 60.0


class ReplayRangeError(DetectorError):
    pass


class MissingTopicsError(ReplayRangeError):
    pass


class ReadStalledError(DetectorError):
    pass


def read_range(
    settings: Settings,
    topics: Sequence[str],
    *,
    start: datetime | None,
    end: datetime | None,
    idle_seconds: float = READ_IDLE_SECONDS,
) -> Iterator[Record]:
    """Every record of ``topics`` with ``start <= Kafka time < end``, merged by Kafka time."""
    if start is not None and end is not None and end <= start:
        raise ReplayRangeError(
            f"回放区间为空 / --to {end.isoformat()} must be after --from {start.isoformat()}"
        )
    reader = broker.consumer(
        settings,
        group_id=None,
        enable_auto_commit=False,
        max_poll_records=5000,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    try:
        partitions = broker.topic_partitions(reader, topics)
        if not partitions:
            raise MissingTopicsError(f"主题不存在 / none of the topics exist: {', '.join(topics)}")
        reader.assign(partitions)
        first = _offsets_at(reader, partitions, start, default=reader.beginning_offsets(partitions))
        stop = _offsets_at(reader, partitions, end, default=reader.end_offsets(partitions))
        remaining = {tp: stop[tp] for tp in partitions if first[tp] < stop[tp]}
        for tp in partitions:
            reader.seek(tp, first[tp])
        reader.pause(*[tp for tp in partitions if tp not in remaining])
        yield from _merged(reader, remaining, idle_seconds)
    finally:
        reader.close()


def _merged(
    reader: KafkaConsumer, stop: dict[TopicPartition, int], idle_seconds: float
) -> Iterator[Record]:
    """Records of every partition merged by Kafka timestamp, as a live worker would have met them.

    Reading partition after partition would show the engine one school's whole range before the
    next school's first event, and its watermark would close the others' windows early.
    """
    buffers: dict[TopicPartition, deque[ConsumerRecord]] = {tp: deque() for tp in stop}
    fetching = set(stop)
    fetched_at = time.monotonic()
    while True:
        if any(not buffers[tp] for tp in fetching):
            if _fetch(reader, stop, buffers, fetching):
                fetched_at = time.monotonic()
            elif time.monotonic() - fetched_at > idle_seconds:
                left = ", ".join(sorted(f"{tp.topic}/{tp.partition}" for tp in fetching))
                raise ReadStalledError(
                    f"Kafka 无响应 / read nothing for {idle_seconds:.0f} s with records left in {left}: "
                    "is the broker up and reachable?"
                )
            continue
        heads = sorted((buffer[0].timestamp, tp) for tp, buffer in buffers.items() if buffer)
        if not heads:
            return
        tp = heads[0][1]
        until = heads[1][0] if len(heads) > 1 else None
        buffer = buffers[tp]
        while buffer and (until is None or buffer[0].timestamp <= until):
            message = buffer.popleft()
            yield Record(
                tp.topic,
                tp.partition,
                message.offset,
                message.timestamp / 1000,
                message.key,
                message.value,
            )
        if len(buffer) < BUFFER_LOW and tp in fetching:
            reader.resume(tp)


def _fetch(
    reader: KafkaConsumer,
    stop: dict[TopicPartition, int],
    buffers: dict[TopicPartition, deque[ConsumerRecord]],
    fetching: set[TopicPartition],
) -> bool:
    """Whether the poll brought any records."""
    polled = reader.poll(timeout_ms=POLL_TIMEOUT_MS)
    for tp, batch in polled.items():
        if tp not in fetching:
            continue
        buffers[tp].extend(message for message in batch if message.offset < stop[tp])
        if batch[-1].offset + 1 >= stop[tp]:
            fetching.discard(tp)
            reader.pause(tp)
        elif len(buffers[tp]) > BUFFER_HIGH:
            reader.pause(tp)  # bounded memory: resumed once drained below BUFFER_LOW
    return bool(polled)


def _offsets_at(
    reader: KafkaConsumer,
    partitions: list[TopicPartition],
    moment: datetime | None,
    *,
    default: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """The first offset at or after ``moment`` in each partition (``default`` when open or past the end)."""
    if moment is None:
        return default
    found = reader.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in partitions})
    ends = reader.end_offsets(partitions)
    return {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}
