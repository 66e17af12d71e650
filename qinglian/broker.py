"""Kafka plumbing shared by the services: client factories, topic creation and
the CloudEvents Kafka protocol binding.

Qinglian uses the binding's *structured* content mode: the Kafka record value is
the whole CloudEvent as JSON (``application/cloudevents+json``), the record key
is the event's partition key (the school id, so one school's events of every
domain land in the same partition number and can be joined), and the
``content-type`` header says so. Structured mode keeps an event one self-contained
document in the dead-letter topic, in replay files and in audit bundles.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

import murmurhash2
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    KafkaConfigurationError,
    NoBrokersAvailable,
    NotCoordinatorError,
    TopicAlreadyExistsError,
)

from qinglian.errors import BrokerUnavailable, ConfigurationError
from qinglian.settings import Settings
from qinglian.topics import TopicSpec, topic_specs

CLOUDEVENTS_CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
CONTENT_TYPE_HEADER = "content-type"


KAFKA_MURMUR2_SEED = 0x9747B28C
REMEMBERED_PARTITIONS = (
    16_384  # a district's school ids with room to spare; global keys come and go
)


def topic_partitions(reader: KafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` the reader's metadata knows, in order (none for a missing topic)."""
    return [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(reader.partitions_for_topic(topic) or ())
    ]


@functools.lru_cache(maxsize=REMEMBERED_PARTITIONS)
def key_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` (murmur2 with Kafka's seed, positive,
    modulo the count; the same in kafka-python, aiokafka and the Java client). The C murmur2:
    kafka-python's pure-Python one costs ~6 µs a key, and the detectors hash every global key
    (one per student) several times a batch. Remembered, because that murmur2 releases the GIL on
    every call, and getting it back from another thread (the push API's producer and request
    threads, faust's service threads) took up to the 5 ms switch interval; most keys are school
    ids, a bounded set."""
    return (murmurhash2.murmurhash2(key, KAFKA_MURMUR2_SEED) & 0x7FFFFFFF) % partitions


def _servers(settings: Settings) -> list[str]:
    return [server.strip() for server in settings.kafka_bootstrap_servers.split(",")]


def _unreachable(settings: Settings) -> BrokerUnavailable:
    return BrokerUnavailable(
        f"Kafka at {settings.kafka_bootstrap_servers} is unreachable; "
        "start it with `qinglian stack up` or set QINGLIAN_KAFKA_BOOTSTRAP_SERVERS"
    )


def admin_client(settings: Settings, timeout_ms: int = 10_000) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(
            bootstrap_servers=_servers(settings),
            client_id="qinglian-admin",
            request_timeout_ms=timeout_ms,
        )
    except NoBrokersAvailable as exc:
        raise _unreachable(settings) from exc


def durable_producer(settings: Settings, client_id: str, **overrides: object) -> KafkaProducer:
    """A producer that only reports success once every in-sync replica has the record."""
    options: dict[str, object] = {
        "bootstrap_servers": _servers(settings),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 1,  # kafka-python requires 1 for idempotence
        "retries": 5,
        "linger_ms": 5,
        "batch_size": 256 * 1024,  # one request per partition carries a whole push batch
        "compression_type": "lz4",  # kafka-python sends compressed batches ~4x faster than plain ones
        **overrides,
    }
    try:
        return KafkaProducer(**options)
    except NoBrokersAvailable as exc:
        raise _unreachable(settings) from exc
    except KafkaConfigurationError as exc:
        raise ConfigurationError(f"invalid Kafka client option: {exc}") from exc


def consumer(
    settings: Settings, *topics: str, group_id: str | None, **overrides: object
) -> KafkaConsumer:
    options: dict[str, object] = {
        "bootstrap_servers": _servers(settings),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        **overrides,
    }
    try:
        return KafkaConsumer(*topics, **options)
    except NoBrokersAvailable as exc:
        raise _unreachable(settings) from exc
    except KafkaConfigurationError as exc:
        raise ConfigurationError(f"invalid Kafka client option: {exc}") from exc


def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create the project's topics with their explicit settings; returns the names created now."""
    specs = specs if specs is not None else topic_specs(settings)
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        for spec in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            spec.partitions,
                            spec.replication_factor,
                            topic_configs=spec.config,
                        )
                    ]
                )
            except TopicAlreadyExistsError:
                continue
        return [spec.name for spec in missing]
    finally:
        admin.close()


def wait_for_group_coordinator(settings: Settings, timeout: float = 60.0) -> None:
    """Block until consumer groups work: a fresh broker creates its offsets topic on the first request."""
    deadline = time.monotonic() + timeout
    admin = admin_client(settings)
    try:
        while True:
            try:
                # Not describe_consumer_groups: kafka-python 2.3 fails to parse that answer's
                # "authorized operations not requested" field on a fresh broker.
                admin.list_consumer_group_offsets("qinglian-readiness-probe")
                return
            except (
                CoordinatorNotAvailableError,
                CoordinatorLoadInProgressError,
                NotCoordinatorError,
            ) as exc:
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(
                        f"Kafka at {settings.kafka_bootstrap_servers} has no group coordinator after {timeout:.0f}s"
                    ) from exc
                time.sleep(0.5)
    finally:
        admin.close()


def missing_topics(settings: Settings) -> list[str]:
    admin = admin_client(settings, timeout_ms=5_000)
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    return [spec.name for spec in topic_specs(settings) if spec.name not in existing]
