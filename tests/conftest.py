"""Fixtures shared by every test.

Integration tests use the real local stack (`qinglian stack up`, which `./run test`
and CI start before pytest). When the stack is not there they fail with a message
saying how to start it, never skip silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from qinglian.settings import Settings, load_settings
from qinglian.stack import postgres
from qinglian.stack.processes import port_open


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def kafka_settings(settings: Settings) -> Settings:
    host, _, port = settings.kafka_bootstrap_servers.split(",")[0].rpartition(":")
    if not port_open(int(port), host):
        pytest.fail(
            f"Kafka is not reachable at {settings.kafka_bootstrap_servers}: run `./run qinglian stack up` first"
        )
    return settings


@pytest.fixture(scope="session")
def postgres_admin_url(settings: Settings) -> str:
    if not port_open(settings.postgres_port):
        pytest.fail(
            f"PostgreSQL is not reachable on port {settings.postgres_port}: run `./run qinglian stack up` first"
        )
    return postgres.database_url(settings, database="postgres")


@pytest.fixture(scope="session")
def postgres_database_url(postgres_admin_url: str, settings: Settings) -> Iterator[str]:
    """A fresh database on the local cluster for this test session, dropped afterwards."""
    with postgres.temporary_database(settings, prefix="qinglian_test") as url:
        yield url


@pytest.fixture
def unique_topic(kafka_settings: Settings) -> Iterator[str]:
    """A throwaway topic with the project's settings, deleted after the test."""
    from qinglian import broker
    from qinglian.topics import TopicSpec

    name = kafka_settings.topic(f"test.{uuid.uuid4().hex[:10]}")
    spec = TopicSpec(name, "test", 3, 1, {"retention.ms": "-1"})
    broker.ensure_topics(kafka_settings, [spec])
    yield name
    admin = broker.admin_client(kafka_settings)
    try:
        admin.delete_topics([name])
    finally:
        admin.close()
