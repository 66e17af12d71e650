"""Fixtures for the ingest integration tests: the real app on the local Kafka and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from qinglian import broker
from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters import migrator
from services.ingest.adapters.dedup_store import SqlDedupStore
from services.ingest.adapters.kafka_publisher import KafkaPublisher
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.config import PushOptions
from services.ingest.domain.signature import signing_headers
from services.ingest.entrypoints.http import create_app
from services.ingest.service_layer.ports import DedupStore, Publisher
from tests.unit.ingest.support import NEW_KEY, registry_of


class TopicTail:
    """What a topic received after the tail was opened (tests pick their own records by id)."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.consumer: KafkaConsumer = broker.consumer(settings, group_id=None)
        self.partitions = [
            TopicPartition(topic, p)
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        assert self.partitions, f"topic {topic} does not exist: run `qinglian stack up`"
        self.consumer.assign(self.partitions)
        for partition, offset in self.consumer.end_offsets(self.partitions).items():
            self.consumer.seek(partition, offset)

    def drain(self, timeout: float = 20.0) -> list[ConsumerRecord]:
        """Every record written since the tail opened, up to the current end of the topic."""
        end = self.consumer.end_offsets(self.partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while any(self.consumer.position(p) < end[p] for p in self.partitions):
            assert time.monotonic() < deadline, "the topic did not deliver its records in time"
            for batch in self.consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records

    def values(self) -> list[dict[str, object]]:
        return [orjson.loads(record.value) for record in self.drain()]

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture
def open_tail(kafka_settings: Settings) -> Iterator[Callable[[str], TopicTail]]:
    opened: list[TopicTail] = []

    def open_one(topic: str) -> TopicTail:
        opened.append(TopicTail(kafka_settings, topic))
        return opened[-1]

    yield open_one
    for each in opened:
        each.close()


@pytest.fixture(scope="session", autouse=True)
def ingest_tables(postgres_database_url: str) -> None:
    """The ingest tables in the session's database, made as in production: by `qinglian db upgrade`'s migrations."""
    migrator.upgrade(postgres_database_url)


@pytest.fixture(scope="session")
def dedup_store(postgres_database_url: str) -> Iterator[SqlDedupStore]:
    store = SqlDedupStore.connect(postgres_database_url)
    yield store
    store.close()


@pytest.fixture
def kafka_publisher(kafka_settings: Settings) -> Iterator[KafkaPublisher]:
    publisher = KafkaPublisher.from_settings(
        kafka_settings, client_id="test-ingest", timeout_seconds=10
    )
    yield publisher
    publisher.close()


def app_client(
    settings: Settings, publisher: Publisher, dedup_store: DedupStore
) -> httpx.AsyncClient:
    app = create_app(
        settings,
        publisher=publisher,
        dedup_store=dedup_store,
        sources=registry_of(),
        metrics=IngestMetrics(new_registry()),
        options=PushOptions(retry_after_seconds=3),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest")


@pytest.fixture
async def client(
    kafka_settings: Settings, kafka_publisher: KafkaPublisher, dedup_store: SqlDedupStore
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(kafka_settings, kafka_publisher, dedup_store) as http:
        yield http


async def signed_push(client: httpx.AsyncClient, payload: object) -> httpx.Response:
    body = orjson.dumps(payload)
    headers = {
        **signing_headers("fuling-finance", NEW_KEY, body, datetime.now(UTC)),
        "Content-Type": "application/json",
    }
    return await client.post("/v1/events", content=body, headers=headers)
