"""Producing a batch's records: built into Kafka record batches here, one partition at a time.

aiokafka's ``send`` costs a coroutine, a future and the accumulator's bookkeeping per record,
which at two changelog records per event was the largest single cost of a detector worker
after the rules. A batch's records are all known at once, so they go into aiokafka's
``BatchBuilder`` per partition (its public ``create_batch`` / ``send_batch``) and are
acknowledged per record batch. A closed builder does not wait out the producer's linger.

Per partition the records keep their order: builders are submitted in the order they fill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.producer.message_accumulator import BatchBuilder

from qinglian.broker import key_partition


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to produce: already serialized, its partition chosen where it matters
    (None: by its key, as Kafka's default partitioner would)."""

    topic: str
    key: bytes | None
    value: bytes | None
    partition: int | None = None
    timestamp: float | None = None
    """Seconds since the epoch; None: the time of sending."""


async def produce(
    producer: AIOKafkaProducer, records: Sequence[Outgoing]
) -> dict[TopicPartition, int]:
    """Send every record, wait until the broker acknowledged all of them, and return the last
    offset written in each partition."""
    counts: dict[str, int] = {}
    open_batches: dict[TopicPartition, BatchBuilder] = {}
    submitted: list[tuple[asyncio.Future, int]] = []

    async def submit(tp: TopicPartition, batch: BatchBuilder) -> None:
        batch.close()
        submitted.append(
            (
                await producer.send_batch(batch, tp.topic, partition=tp.partition),
                batch.record_count(),
            )
        )

    for record in records:
        tp = TopicPartition(record.topic, await _partition(producer, record, counts))
        timestamp = None if record.timestamp is None else int(record.timestamp * 1000)
        batch = open_batches.get(tp)
        if (
            batch is None
            or batch.append(timestamp=timestamp, key=record.key, value=record.value) is None
        ):
            if batch is not None:
                await submit(tp, batch)
            # An empty batch takes any one record, however large (up to the broker's limit).
            batch = open_batches[tp] = producer.create_batch()
            batch.append(timestamp=timestamp, key=record.key, value=record.value)
    for tp, batch in open_batches.items():
        await submit(tp, batch)
    last: dict[TopicPartition, int] = {}
    for metadata, count in zip(
        await asyncio.gather(*(f for f, _ in submitted)), (c for _, c in submitted)
    ):
        tp = TopicPartition(metadata.topic, metadata.partition)
        last[tp] = max(last.get(tp, -1), metadata.offset + count - 1)
    return last


async def _partition(producer: AIOKafkaProducer, record: Outgoing, counts: dict[str, int]) -> int:
    if record.partition is not None:
        return record.partition
    if record.key is None:
        raise ValueError(f"a record for {record.topic} needs a key or a partition")
    if record.topic not in counts:
        counts[record.topic] = len(await producer.partitions_for(record.topic))
    return key_partition(record.key, counts[record.topic])
