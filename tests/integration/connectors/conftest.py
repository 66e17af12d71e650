"""Fixtures for the connector integration tests: the real Kafka, PostgreSQL for Qinglian and for a 前置库."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from qinglian.stack import postgres
from services.ingest.adapters.dedup_store import SqlDedupStore
from services.ingest.adapters.kafka_publisher import KafkaPublisher
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.connectors.adapters.checkpoints import SqlCheckpointStore
from services.ingest.connectors.adapters.metrics import ConnectorMetrics
from services.ingest.connectors.service_layer.pull import PullDeps
from services.ingest.service_layer.ingestion import Ingestion
from tests.integration.ingest.conftest import TopicTail, ingest_tables  # noqa: F401 - autouse: the migrated tables

RAW_CANTEEN = "qinglian.raw.canteen"
RAW_PROCUREMENT = "qinglian.raw.procurement"
DEADLETTER = "qinglian.deadletter"


@pytest.fixture(scope="session")
def qinglian_engine(postgres_database_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(postgres_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def checkpoint_store(qinglian_engine: Engine) -> SqlCheckpointStore:
    return SqlCheckpointStore(qinglian_engine)


@pytest.fixture
def live(
    kafka_settings: Settings, qinglian_engine: Engine, checkpoint_store: SqlCheckpointStore
) -> Iterator[PullDeps]:
    """The pull use case on the real adapters: Kafka (acks=all), SQL dedup store and checkpoint table."""
    publisher = KafkaPublisher.from_settings(
        kafka_settings, client_id="test-connectors", timeout_seconds=10
    )
    dedup = SqlDedupStore(qinglian_engine)
    registry = new_registry()
    ingestion = Ingestion.from_settings(
        kafka_settings, publisher=publisher, dedup_store=dedup, metrics=IngestMetrics(registry)
    )
    yield PullDeps(
        ingestion, checkpoint_store, ConnectorMetrics(registry), clock=lambda: datetime.now(UTC)
    )
    publisher.close()


@pytest.fixture
def staging_url(postgres_admin_url: str, settings: Settings) -> Iterator[str]:
    """A fresh 前置库 database on the local cluster (no password: trust auth), dropped afterwards."""
    with postgres.temporary_database(settings, prefix="qianzhiku") as url:
        yield url


@pytest.fixture
def open_tail(kafka_settings: Settings) -> Iterator[Callable[[str], TopicTail]]:
    opened: list[TopicTail] = []

    def open_one(topic: str) -> TopicTail:
        opened.append(TopicTail(kafka_settings, topic))
        return opened[-1]

    yield open_one
    for tail in opened:
        tail.close()


@pytest.fixture
def school() -> str:
    """A school code of this test alone, to pick its events out of the shared raw topics."""
    return "9" + "".join(random.choices("0123456789", k=11))


@pytest.fixture
def connector_id() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"
