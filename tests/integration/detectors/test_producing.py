"""The worker's batched producer on the real broker: every record lands once, in its partition
(chosen, or by key as Kafka's default partitioner does), in order, with its timestamp; the
offsets it returns are the last ones written."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from qinglian import broker
from qinglian.settings import Settings
from services.detectors.runtime.producing import Outgoing, produce

pytestmark = pytest.mark.integration

PARTITIONS = 3  # the unique_topic fixture's


def produced(
    settings: Settings, records: list[Outgoing], *, max_batch_size: int = 16384
) -> dict[TopicPartition, int]:
    async def run() -> dict[TopicPartition, int]:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            acks="all",
            max_batch_size=max_batch_size,
            max_request_size=8 * 1024**2,
        )
        await producer.start()
        try:
            return await produce(producer, records)
        finally:
            await producer.stop()

    return asyncio.run(run())


def read_all(settings: Settings, topic: str) -> dict[int, list]:
    reader = broker.consumer(settings, group_id=None, consumer_timeout_ms=3000)
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    reader.assign(partitions)
    reader.seek_to_beginning()
    found: dict[int, list] = {p: [] for p in range(PARTITIONS)}
    try:
        for message in reader:
            found[message.partition].append(message)
    finally:
        reader.close()
    return found


def test_records_land_in_order_in_their_partitions_with_their_timestamps(
    kafka_settings: Settings, unique_topic: str
) -> None:
    chosen = [
        Outgoing(unique_topic, None, f"chosen-{i}".encode(), i % PARTITIONS, 1_700_000_000.25 + i)
        for i in range(3000)
    ]
    keyed = [
        Outgoing(unique_topic, f"school-{i % 7}".encode(), f"keyed-{i}".encode())
        for i in range(500)
    ]
    tombstone = [Outgoing(unique_topic, b"school-1", None)]

    last = produced(kafka_settings, [*chosen, *keyed, *tombstone])

    found = read_all(kafka_settings, unique_topic)
    assert sum(map(len, found.values())) == len(chosen) + len(keyed) + 1
    for partition, messages in found.items():
        assert [m.offset for m in messages] == list(range(len(messages)))
        assert last[TopicPartition(unique_topic, partition)] == messages[-1].offset
        values = [m.value for m in messages]
        assert [v for v in values if v and v.startswith(b"chosen-")] == [
            r.value for r in chosen if r.partition == partition
        ]
        for message in messages:
            if message.value and message.value.startswith(b"chosen-"):
                assert message.timestamp == int((1_700_000_000.25 + int(message.value[7:])) * 1000)
    for record in [*keyed, *tombstone]:
        partition = broker.key_partition(record.key, PARTITIONS)
        assert record.value in [m.value for m in found[partition] if m.key == record.key]


def test_a_record_larger_than_a_batch_goes_alone(
    kafka_settings: Settings, unique_topic: str
) -> None:
    large = b"x" * 200_000
    records = [Outgoing(unique_topic, None, value, 0) for value in (b"before", large, b"after")]

    last = produced(kafka_settings, records, max_batch_size=16384)

    assert [m.value for m in read_all(kafka_settings, unique_topic)[0]] == [
        b"before",
        large,
        b"after",
    ]
    assert last == {TopicPartition(unique_topic, 0): 2}


def test_nothing_to_send_is_no_offsets(kafka_settings: Settings) -> None:
    assert produced(kafka_settings, []) == {}
