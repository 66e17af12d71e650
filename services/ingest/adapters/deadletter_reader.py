"""Reads the whole dead-letter topic, for `qinglian dlq` (operators, not a hot path)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import orjson
import structlog

from qinglian import broker
from qinglian.errors import BrokerUnavailable
from qinglian.settings import Settings

log = structlog.get_logger(__name__)


class KafkaDeadLetterReader:
    def __init__(self, settings: Settings, topic: str, *, timeout_seconds: float = 30.0) -> None:
        self._settings = settings
        self._topic = topic
        self._timeout_seconds = timeout_seconds

    def records(self) -> Iterator[Mapping[str, object]]:
        consumer = broker.consumer(self._settings, group_id=None, enable_auto_commit=False)
        try:
            partitions = broker.topic_partitions(consumer, [self._topic])
            if not partitions:
                raise BrokerUnavailable(
                    f"死信主题不存在 / topic {self._topic} does not exist: run `qinglian stack up`"
                )
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            remaining = {tp: end for tp, end in consumer.end_offsets(partitions).items() if end > 0}
            deadline = time.monotonic() + self._timeout_seconds
            while remaining:
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(
                        f"读取死信超时 / reading {self._topic} timed out; is Kafka healthy?"
                    )
                for tp, batch in consumer.poll(timeout_ms=500).items():
                    for record in batch:
                        decoded = _decode(record.value, tp.partition, record.offset)
                        if decoded is not None:
                            yield decoded
                # Positions, not record offsets: transaction markers take offsets too.
                remaining = {
                    tp: end for tp, end in remaining.items() if consumer.position(tp) < end
                }
        finally:
            consumer.close()


def _decode(value: bytes | None, partition: int, offset: int) -> Mapping[str, object] | None:
    try:
        decoded = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        log.warning("dead-letter record is not JSON", partition=partition, offset=offset)
        return None
    return decoded if isinstance(decoded, dict) else None
