"""Re-sending a dead letter: validated, published once, recorded as a new history record."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters.dedup_store import InMemoryDedupStore
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.domain.deadletter import Stage
from services.ingest.errors import DeadLetterNotFound, RedriveRefused, StorageUnavailable
from services.ingest.service_layer.ingestion import Ingestion, ingest
from services.ingest.service_layer.redrive import redrive
from tests.unit.ingest.support import (
    ALERT,
    NOW,
    ListDeadLetterReader,
    RecordingPublisher,
    broken,
    event,
    finance_source,
)

RAW = "qinglian.raw.finance"
DLQ = "qinglian.deadletter"


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def deps(publisher: RecordingPublisher) -> Ingestion:
    ids = itertools.count(1)
    built = Ingestion.from_settings(
        Settings(),
        publisher=publisher,
        dedup_store=InMemoryDedupStore(),
        metrics=IngestMetrics(new_registry()),
    )
    return dataclasses.replace(built, new_id=lambda: f"dl-{next(ids)}")


def rejected(deps: Ingestion, publisher: RecordingPublisher, item: object) -> ListDeadLetterReader:
    """Ingest one bad item and return a reader over what reached the dead-letter topic."""
    ingest(deps, [item], finance_source(), received_at=NOW, stage=Stage.PUSH)
    return ListDeadLetterReader([message.value for message in publisher.on(DLQ)])


def test_fixed_event_is_published_and_the_redrive_recorded(
    deps: Ingestion, publisher: RecordingPublisher
) -> None:
    bad = broken()
    reader = rejected(deps, publisher, bad)
    fixed = {**bad, "data": {**bad["data"], "amount_fen": 25872000}}
    done = redrive(deps, reader, "dl-1", fixed=fixed, at=NOW)
    assert (done.event_id, done.topic, done.redrive_id) == (bad["id"], RAW, "dl-2")
    [raw] = publisher.on(RAW)
    assert raw.value == deps.pseudonymizer.event(fixed) and raw.key == "500102001"
    history_record = publisher.on(DLQ)[-1].value
    assert history_record["kind"] == "redriven" and history_record["redrives"] == "dl-1"
    assert publisher.on(DLQ)[-1].key == "dl-1"
    assert deps.dedup_store.seen("fuling-finance", [bad["id"]]) == {bad["id"]}


def test_still_invalid_fix_is_refused_with_path_and_rule(
    deps: Ingestion, publisher: RecordingPublisher
) -> None:
    reader = rejected(deps, publisher, broken())
    with pytest.raises(RedriveRefused, match=r"data\.amount_fen \[type\]"):
        redrive(deps, reader, "dl-1", fixed=None, at=NOW)
    assert publisher.on(RAW) == []


def test_second_redrive_is_refused(deps: Ingestion, publisher: RecordingPublisher) -> None:
    bad = broken()
    reader = rejected(deps, publisher, bad)
    fixed = {**bad, "data": {**bad["data"], "amount_fen": 1}}
    redrive(deps, reader, "dl-1", fixed=fixed, at=NOW)
    reader.records_list = [message.value for message in publisher.on(DLQ)]
    with pytest.raises(RedriveRefused, match="already re-sent"):
        redrive(deps, reader, "dl-1", fixed=fixed, at=NOW)


def test_already_accepted_event_is_refused(deps: Ingestion, publisher: RecordingPublisher) -> None:
    good = event()
    ingest(deps, [good], finance_source(), received_at=NOW, stage=Stage.PUSH)
    reader = rejected(deps, publisher, {**good, "data": {}})
    with pytest.raises(RedriveRefused, match="already accepted"):
        redrive(deps, reader, "dl-1", fixed=good, at=NOW)


def test_alert_is_refused_even_from_a_trusted_operator(
    deps: Ingestion, publisher: RecordingPublisher
) -> None:
    reader = rejected(deps, publisher, event(ALERT))
    with pytest.raises(RedriveRefused, match="detectors only"):
        redrive(deps, reader, "dl-1", fixed=None, at=NOW)
    assert [message for message in publisher.messages if message.cloudevent] == []


def test_unknown_id(deps: Ingestion) -> None:
    with pytest.raises(DeadLetterNotFound, match="dlq list"):
        redrive(deps, ListDeadLetterReader(), "nope", fixed=None, at=NOW)


def test_non_object_payload_needs_a_file(deps: Ingestion, publisher: RecordingPublisher) -> None:
    reader = rejected(deps, publisher, "text")
    with pytest.raises(RedriveRefused, match="--file"):
        redrive(deps, reader, "dl-1", fixed=None, at=NOW)


def test_kafka_down(deps: Ingestion, publisher: RecordingPublisher) -> None:
    bad = broken()
    reader = rejected(deps, publisher, bad)
    publisher.down = True
    with pytest.raises(StorageUnavailable, match="try again"):
        redrive(
            deps, reader, "dl-1", fixed={**bad, "data": {**bad["data"], "amount_fen": 1}}, at=NOW
        )
    assert deps.dedup_store.seen("fuling-finance", [bad["id"]]) == set()
