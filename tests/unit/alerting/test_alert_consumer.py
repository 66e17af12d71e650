"""The consumer loop with a fake Kafka: store first, then dead letters, then offsets; retries on outages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pytest
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import OperationalError

from services.alerting.adapters.alert_codec import encode_alert_event
from services.alerting.adapters.alert_consumer import AlertConsumer, ConsumerTuning
from services.alerting.adapters.deadletter import REDACTED
from services.alerting.bootstrap import AlertingService
from services.alerting.domain.alerts import Alert, Subject, SubjectKind
from services.alerting.errors import DatabaseUnavailable
from services.alerting.service_layer.unit_of_work import InboxQuery
from services.alerting.testing import ManualClock, add_sample_users, sample_alert

TOPIC = "qinglian.alerts"


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class FakeSource:
    """Hands out prepared batches and records what was committed, in one shared event log."""

    def __init__(
        self, log: list[tuple[str, Any]], *batches: list[Record], refuse_commit: bool = False
    ) -> None:
        self.batches = list(batches)
        self.log = log
        self.refuse_commit = refuse_commit

    def poll(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> Mapping[TopicPartition, list[Record]]:
        if not self.batches:
            return {}
        grouped: dict[TopicPartition, list[Record]] = {}
        for record in self.batches.pop(0):
            grouped.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return grouped

    def commit(
        self, offsets: Mapping[TopicPartition, OffsetAndMetadata], timeout_ms: int | None = None
    ) -> None:
        if self.refuse_commit:
            raise CommitFailedError("rebalanced")
        self.log.append(("commit", {tp.partition: meta.offset for tp, meta in offsets.items()}))


class RecordingSink:
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log
        self.records: list[Mapping[str, Any]] = []

    def send(self, record: Mapping[str, Any]) -> None:
        self.records.append(record)
        self.log.append(("deadletter", record["origin"]["offset"]))

    def flush(self) -> None:
        self.log.append(("flush", len(self.records)))


class FlakyStore:
    """Stores through the real service, after failing like a database that is away ``outages`` times."""

    def __init__(
        self, service: AlertingService, log: list[tuple[str, Any]], outages: int = 0
    ) -> None:
        self.service, self.log, self.outages = service, log, outages
        self.attempts = 0

    def __call__(self, alerts: Sequence[Alert]) -> object:
        self.attempts += 1
        if self.outages:
            self.outages -= 1
            raise OperationalError(
                "INSERT INTO alerts", {}, ConnectionRefusedError("server closed the connection")
            )
        self.log.append(("stored", [alert.alert_id for alert in alerts]))
        return self.service.ingest(alerts)


def record(offset: int, value: bytes | None, partition: int = 0) -> Record:
    return Record(TOPIC, partition, offset, b"500102001", value)


def consumer(
    source: FakeSource, sink: RecordingSink, store: Any, clock: ManualClock, **tuning: Any
) -> AlertConsumer:
    """The real loop; retries wait on a no-op sleep so the test does not."""
    return AlertConsumer(
        source, sink, store, clock=clock, tuning=ConsumerTuning(**tuning), sleep=lambda _: None
    )


def stored_alert_ids(service: AlertingService) -> set[str]:
    with service.uow:
        return {
            a.alert_id
            for c in service.uow.cases.inbox(InboxQuery())
            for a in service.uow.alerts.for_case(c.id)
        }


def test_a_batch_is_stored_before_its_offsets_are_committed(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    alerts = [sample_alert() for _ in range(3)]
    batch = [
        record(10, encode_alert_event(alerts[0])),
        record(11, encode_alert_event(alerts[1])),
        record(4, encode_alert_event(alerts[2]), partition=3),
    ]
    source = FakeSource(log, batch)
    result = consumer(source, RecordingSink(log), FlakyStore(service, log), clock).process_batch()
    assert (result.records, result.stored, result.invalid, result.failed) == (3, 3, 0, 0)
    assert [entry[0] for entry in log] == ["stored", "flush", "commit"]
    assert log[-1] == ("commit", {0: 12, 3: 5})
    assert stored_alert_ids(service) == {a.alert_id for a in alerts}


def test_an_invalid_record_goes_to_the_dead_letter_topic_and_the_rest_is_stored(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    good = sample_alert()
    event = orjson.loads(encode_alert_event(sample_alert()))
    event["data"]["subject"] = {"kind": "student", "id": "500102200801011234"}
    batch = [
        record(1, b"garbage"),
        record(2, orjson.dumps(event)),
        record(3, encode_alert_event(good)),
    ]
    source = FakeSource(log, batch)
    sink = RecordingSink(log)
    result = consumer(source, sink, FlakyStore(service, log), clock).process_batch()
    assert (result.stored, result.invalid) == (1, 2)
    assert [entry[0] for entry in log] == ["stored", "deadletter", "deadletter", "flush", "commit"]
    garbage, clear_id = sink.records
    assert garbage["origin"] == {"topic": TOPIC, "partition": 0, "offset": 1, "key": "500102001"}
    assert (garbage["payload"], garbage["stage"], garbage["record"]) == (
        "garbage",
        "alerting",
        "qinglian.deadletter.v1",
    )
    assert clear_id["reasons"][0]["rule"] == "pseudonym"
    assert clear_id["payload"]["data"]["subject"]["id"] == REDACTED, (
        "the clear id is not kept in the topic"
    )
    assert stored_alert_ids(service) == {good.alert_id}


def test_while_the_database_is_away_nothing_is_committed_and_the_batch_is_retried(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    alert = sample_alert()
    store = FlakyStore(service, log, outages=3)
    source = FakeSource(log, [record(7, encode_alert_event(alert))])
    consumer(source, RecordingSink(log), store, clock).process_batch()
    assert store.attempts == 4
    assert [entry[0] for entry in log] == ["stored", "flush", "commit"]
    assert stored_alert_ids(service) == {alert.alert_id}


def test_a_database_that_stays_away_stops_the_consumer_without_committing(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    source = FakeSource(log, [record(7, encode_alert_event(sample_alert()))])
    store = FlakyStore(service, log, outages=100)
    with pytest.raises(DatabaseUnavailable, match="offsets were not committed"):
        consumer(
            source, RecordingSink(log), store, clock, database_retry_for=timedelta(0)
        ).process_batch()
    assert log == []


def test_an_alert_the_service_cannot_take_is_dead_lettered_alone(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    poison, fine = sample_alert(), sample_alert()

    def store(alerts: Sequence[Alert]) -> object:
        if poison in alerts:
            raise RuntimeError("unexpected")
        return service.ingest(alerts)

    source = FakeSource(
        log, [record(1, encode_alert_event(poison)), record(2, encode_alert_event(fine))]
    )
    sink = RecordingSink(log)
    result = consumer(source, sink, store, clock).process_batch()
    assert (result.stored, result.failed) == (1, 1)
    (letter,) = sink.records
    assert letter["origin"]["offset"] == 1 and letter["reasons"][0]["rule"] == "processing"
    assert stored_alert_ids(service) == {fine.alert_id}
    assert log[-1] == ("commit", {0: 3})


def test_a_district_level_alert_opens_a_case_without_a_school_for_the_district(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    users = add_sample_users(service)
    alert = sample_alert(
        school_id=None, rule_id="R025", subject=Subject(SubjectKind.VENDOR, "91500102MA5U000009")
    )
    district_keyed = Record(TOPIC, 0, 1, b"500102", encode_alert_event(alert))
    source = FakeSource(log, [district_keyed])
    result = consumer(source, RecordingSink(log), FlakyStore(service, log), clock).process_batch()
    assert (result.stored, result.invalid) == (1, 0)
    (case,) = service.inbox_for(users["inspector"], InboxQuery())
    assert (case.key.school_id, case.district_id, case.routed_to_district) == (None, "500102", True)
    assert [c.id for c in service.inbox_for(users["auditor"], InboxQuery())] == [case.id]
    assert service.inbox_for(users["officer"], InboxQuery()) == []
    assert service.inbox_for(users["neighbour"], InboxQuery()) == []


def test_a_redelivered_batch_is_harmless(service: AlertingService, clock: ManualClock) -> None:
    log: list[tuple[str, Any]] = []
    batch = [
        record(1, encode_alert_event(sample_alert())),
        record(2, encode_alert_event(sample_alert())),
    ]
    source = FakeSource(log, batch, batch)
    loop = consumer(source, RecordingSink(log), FlakyStore(service, log), clock)
    loop.process_batch()
    loop.process_batch()
    (case,) = service.inbox(InboxQuery())
    assert case.alert_count == 2


def test_a_refused_commit_after_a_rebalance_is_not_fatal(
    service: AlertingService, clock: ManualClock
) -> None:
    log: list[tuple[str, Any]] = []
    source = FakeSource(log, [record(1, encode_alert_event(sample_alert()))], refuse_commit=True)
    assert (
        consumer(source, RecordingSink(log), FlakyStore(service, log), clock).process_batch().stored
        == 1
    )


def test_an_empty_poll_does_nothing(service: AlertingService, clock: ManualClock) -> None:
    log: list[tuple[str, Any]] = []
    assert (
        consumer(FakeSource(log), RecordingSink(log), FlakyStore(service, log), clock)
        .process_batch()
        .records
        == 0
    )
    assert log == []
