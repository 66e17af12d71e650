"""Alerts produced to the real alerts topic become cases in PostgreSQL, once, even across a database outage.

Each test consumes with its own consumer group, whose offsets start at the
topic's current end, so alerts other tests or services left on the topic are
not read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import orjson
import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from qinglian import broker
from qinglian.settings import Settings
from qinglian.stack import postgres
from qinglian.topics import alerts_topic, deadletter_topic
from services.alerting.adapters import migrator
from services.alerting.adapters.alert_codec import encode_alert_event
from services.alerting.adapters.alert_consumer import ConsumerTuning
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.alerts import Alert, Subject, SubjectKind
from services.alerting.entrypoints.consumer import consume_alerts
from services.alerting.service_layer.unit_of_work import InboxQuery
from services.alerting.testing import ManualClock, add_sample_users, sample_alert

from .conftest import empty_alerting_tables

pytestmark = pytest.mark.integration

TUNING = ConsumerTuning(batch_size=50, poll_timeout_ms=200, retry_wait_max_seconds=1.0)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def end_offsets(settings: Settings, topic: str) -> dict[TopicPartition, int]:
    consumer = broker.consumer(settings, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return consumer.end_offsets(partitions)
    finally:
        consumer.close()


def start_group_at_end(settings: Settings, group_id: str) -> None:
    """Commit the topic's current end offsets for a new group, so it reads only what comes next."""
    consumer = broker.consumer(settings, group_id=group_id)
    try:
        offsets = end_offsets(settings, alerts_topic(settings))
        consumer.assign(list(offsets))
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
    finally:
        consumer.close()


def committed_offsets(settings: Settings, group_id: str) -> dict[TopicPartition, int]:
    admin = broker.admin_client(settings)
    try:
        return {tp: meta.offset for tp, meta in admin.list_consumer_group_offsets(group_id).items()}
    finally:
        admin.close()


@dataclass
class RunningConsumer:
    service: AlertingService
    group_id: str
    stop: threading.Event
    thread: threading.Thread
    failure: list[BaseException]


@pytest.fixture
def run_consumer(
    kafka_settings: Settings,
) -> Iterator[Callable[[AlertingService], RunningConsumer]]:
    started: list[RunningConsumer] = []

    def start(service: AlertingService) -> RunningConsumer:
        group_id = f"qinglian-alerting-test-{uuid.uuid4().hex[:8]}"
        start_group_at_end(kafka_settings, group_id)
        stop, failure = threading.Event(), []

        def target() -> None:
            try:
                consume_alerts(kafka_settings, service, stop=stop, group_id=group_id, tuning=TUNING)
            except BaseException as exc:  # noqa: BLE001 - surfaced by the test, not lost in the thread
                failure.append(exc)

        thread = threading.Thread(target=target, name=group_id, daemon=True)
        thread.start()
        started.append(RunningConsumer(service, group_id, stop, thread, failure))
        return started[-1]

    yield start
    for running in started:
        running.stop.set()
        running.thread.join(timeout=30)
        assert not running.failure, running.failure


def produce(settings: Settings, values: list[tuple[str, bytes]]) -> list[tuple[int, int]]:
    """Send (key, value) records to the alerts topic; returns each record's (partition, offset)."""
    producer = broker.durable_producer(settings, client_id="alerting-integration-test")
    try:
        futures = [
            producer.send(
                alerts_topic(settings),
                key=key.encode(),
                value=value,
                headers=[(broker.CONTENT_TYPE_HEADER, broker.CLOUDEVENTS_CONTENT_TYPE)],
            )
            for key, value in values
        ]
        producer.flush(timeout=30)
        return [(f.get(timeout=30).partition, f.get(timeout=30).offset) for f in futures]
    finally:
        producer.close()


def alerts_of_run(run: str, count: int) -> list[Alert]:
    """``count`` alerts about five vendors in five schools: four alerts per case."""
    return [
        sample_alert(
            alert_id=f"al-it-{run}-{n:03d}",
            school_id=f"50010200{n % 5 + 1}",
            subject=Subject(SubjectKind.VENDOR, f"91500102MA5U{run[:4]}{n % 5}"),
        )
        for n in range(count)
    ]


def stored(engine: sa.Engine, run: str) -> tuple[int, int]:
    """(alerts stored, cases holding them) for one run's alerts."""
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT case_id) FROM alerts WHERE alert_id LIKE :run"
            ),
            {"run": f"al-it-{run}-%"},
        ).one()


def service_on(settings: Settings, url: str) -> tuple[AlertingService, sa.Engine]:
    engine = create_database_engine(url)
    clock = ManualClock(sample_alert().event_time + timedelta(minutes=5))
    return bootstrap(
        settings, uow=SqlAlchemyUnitOfWork(new_session_factory(engine)), clock=clock
    ), engine


def test_alerts_from_the_topic_become_cases_once_and_bad_records_are_dead_lettered(
    kafka_settings: Settings,
    migrated_postgresql_url: str,
    run_consumer: Callable[[AlertingService], RunningConsumer],
) -> None:
    empty_alerting_tables(migrated_postgresql_url)
    service, engine = service_on(kafka_settings, migrated_postgresql_url)
    running = run_consumer(service)
    run = uuid.uuid4().hex[:8]
    alerts = alerts_of_run(run, 20)
    records = [(alert.school_id or "", encode_alert_event(alert)) for alert in alerts]
    deadletters_before = end_offsets(kafka_settings, deadletter_topic(kafka_settings))

    *_, (bad_partition, bad_offset) = produce(
        kafka_settings, [*records, ("500102001", b'{"not": "an alert"}')]
    )
    wait_until(lambda: stored(engine, run) == (20, 5), "the 20 alerts are stored as 5 cases")

    produce(kafka_settings, records)
    topic_end = end_offsets(kafka_settings, alerts_topic(kafka_settings))
    wait_until(
        lambda: all(
            committed_offsets(kafka_settings, running.group_id).get(tp, 0) >= end
            for tp, end in topic_end.items()
        ),
        "the consumer has committed past the re-sent alerts",
    )
    assert stored(engine, run) == (20, 5), "re-delivered alerts create nothing new"
    metrics = service.metrics.registry
    assert (
        metrics.get_sample_value("qinglian_alerting_alerts_consumed_total", {"result": "duplicate"})
        == 20
    )
    assert (
        metrics.get_sample_value("qinglian_alerting_alerts_consumed_total", {"result": "invalid"})
        == 1
    )

    letters = read_from(kafka_settings, deadletter_topic(kafka_settings), deadletters_before)
    (letter,) = [
        letter
        for letter in letters
        if letter.get("origin", {}).get("offset") == bad_offset
        and letter["origin"]["partition"] == bad_partition
    ]
    assert letter["origin"]["topic"] == alerts_topic(kafka_settings)
    assert letter["payload"] == {"not": "an alert"} and letter["reasons"]
    engine.dispose()


def test_a_district_level_alert_from_the_topic_becomes_a_case_for_the_district_only(
    kafka_settings: Settings,
    migrated_postgresql_url: str,
    run_consumer: Callable[[AlertingService], RunningConsumer],
) -> None:
    """A cross-school finding (R025: a tenderer that keeps losing across the district's schools)
    travels without schoolid, keyed by its district, as the detectors publish it."""
    empty_alerting_tables(migrated_postgresql_url)
    service, engine = service_on(kafka_settings, migrated_postgresql_url)
    users = add_sample_users(service)
    run_consumer(service)
    run = uuid.uuid4().hex[:8]
    alert = sample_alert(
        alert_id=f"al-it-{run}-000",
        school_id=None,
        rule_id="R025",
        subject=Subject(SubjectKind.VENDOR, f"91500102MA5U{run[:4]}9"),
    )
    deadletters_before = end_offsets(kafka_settings, deadletter_topic(kafka_settings))
    produce(kafka_settings, [("500102", encode_alert_event(alert))])
    wait_until(
        lambda: stored(engine, run) == (1, 1), "the district-level alert is stored as a case"
    )

    reader = service.for_another_thread()
    (case,) = reader.inbox_for(users["inspector"], InboxQuery())
    assert (case.key.school_id, case.district_id, case.routed_to_district) == (None, "500102", True)
    assert [c.id for c in reader.inbox_for(users["auditor"], InboxQuery())] == [case.id]
    assert reader.inbox_for(users["officer"], InboxQuery()) == []
    assert reader.inbox_for(users["neighbour"], InboxQuery()) == []
    letters = read_from(kafka_settings, deadletter_topic(kafka_settings), deadletters_before)
    assert [letter for letter in letters if letter.get("event_id") == alert.alert_id] == []
    engine.dispose()


def read_from(settings: Settings, topic: str, start: dict[TopicPartition, int]) -> list[dict]:
    consumer: KafkaConsumer = broker.consumer(settings, group_id=None)
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        end = consumer.end_offsets(list(start))
        values: list[dict] = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in start) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                values += [orjson.loads(record.value) for record in batch]
        return values
    finally:
        consumer.close()


@pytest.fixture
def outage_database(
    postgres_admin_url: str, settings: Settings
) -> Iterator[tuple[str, Callable[[bool], None]]]:
    """A migrated database of its own, and a switch that refuses (or again accepts) every connection to it."""
    name = f"qinglian_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres.database_url(settings, database=name)
    migrator.upgrade(url)

    def reachable(accept: bool) -> None:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(accept).lower()}')
            )
            if not accept:
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                    ),
                    {"name": name},
                )

    try:
        yield url, reachable
    finally:
        reachable(True)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_database_outage_while_alerts_flow_loses_nothing(
    kafka_settings: Settings,
    outage_database: tuple[str, Callable[[bool], None]],
    run_consumer: Callable[[AlertingService], RunningConsumer],
) -> None:
    url, reachable = outage_database
    service, engine = service_on(kafka_settings, url)
    running = run_consumer(service)
    run = uuid.uuid4().hex[:8]
    alerts = alerts_of_run(run, 40)
    records = [(alert.school_id or "", encode_alert_event(alert)) for alert in alerts]

    produce(kafka_settings, records[:20])
    wait_until(lambda: stored(engine, run)[0] == 20, "the first half is stored")
    committed_before = committed_offsets(kafka_settings, running.group_id)

    reachable(False)
    produce(kafka_settings, records[20:])
    time.sleep(3)  # the consumer keeps retrying the database meanwhile
    assert committed_offsets(kafka_settings, running.group_id) == committed_before, (
        "nothing committed while down"
    )
    assert running.thread.is_alive() and not running.failure
    reachable(True)

    wait_until(lambda: stored(engine, run) == (40, 5), "every alert is stored after the outage")
    engine.dispose()
