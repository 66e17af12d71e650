"""The ingest use case with a recording publisher and an in-memory dedup store."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Iterator

import orjson
import pytest
from structlog.testing import capture_logs

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters.dedup_store import InMemoryDedupStore, LookedUp
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.domain.deadletter import Stage
from services.ingest.domain.results import ItemResult, ItemStatus
from services.ingest.domain.sources import SourceSystem
from services.ingest.errors import StorageUnavailable
from services.ingest.service_layer.ingestion import Ingestion, ingest
from tests.unit.ingest.support import (
    AID,
    ALERT,
    CLEAR_ID_NUMBER,
    MEAL_FEE,
    NOW,
    PREFIX,
    VOUCHER,
    RecordingPublisher,
    any_type_source,
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
def dedup() -> InMemoryDedupStore:
    return InMemoryDedupStore()


@pytest.fixture
def metrics() -> IngestMetrics:
    return IngestMetrics(new_registry())


@pytest.fixture
def deps(
    publisher: RecordingPublisher, dedup: InMemoryDedupStore, metrics: IngestMetrics
) -> Ingestion:
    ids = itertools.count(1)
    built = Ingestion.from_settings(
        Settings(), publisher=publisher, dedup_store=dedup, metrics=metrics
    )
    return dataclasses.replace(built, new_id=lambda: f"dl-{next(ids)}")


def run(
    deps: Ingestion, items: list[object], source: SourceSystem | None = None
) -> list[ItemResult]:
    return ingest(deps, items, source or finance_source(), received_at=NOW, stage=Stage.PUSH)


class TestAccepted:
    def test_valid_event_is_published_to_its_domain_topic_keyed_by_school(
        self, deps: Ingestion, publisher: RecordingPublisher, dedup: InMemoryDedupStore
    ) -> None:
        sent = event()
        [result] = run(deps, [sent])
        assert result == ItemResult(0, sent["id"], ItemStatus.ACCEPTED, topic=RAW)
        [message] = publisher.messages
        assert (message.topic, message.key, message.cloudevent) == (RAW, "500102001", True)
        assert message.value == deps.pseudonymizer.event(sent)
        assert ("fuling-finance", sent["id"]) in dedup.ids

    def test_pii_is_pseudonymized_before_publishing(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event(AID)
        run(deps, [sent])
        stored = publisher.messages[0].value
        assert stored["data"]["student"]["id_number"].startswith("pn:")
        assert CLEAR_ID_NUMBER not in orjson.dumps(stored).decode()
        assert sent["data"]["student"]["id_number"] == CLEAR_ID_NUMBER, (
            "the received event is not mutated"
        )


class TestDuplicates:
    def test_resent_event_is_a_duplicate_and_not_republished(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event()
        run(deps, [sent])
        [again] = run(deps, [sent])
        assert again.status is ItemStatus.DUPLICATE
        assert len(publisher.on(RAW)) == 1

    def test_same_id_twice_in_one_batch(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event()
        results = run(deps, [sent, dict(sent)])
        assert [r.status for r in results] == [ItemStatus.ACCEPTED, ItemStatus.DUPLICATE]
        assert len(publisher.on(RAW)) == 1

    def test_dedup_is_scoped_by_source(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event()
        run(deps, [sent])
        [other] = run(deps, [sent], finance_source("district-finance"))
        assert other.status is ItemStatus.ACCEPTED
        assert len(publisher.on(RAW)) == 2


class TestRejected:
    def test_contract_violation_names_path_and_rule_and_goes_to_the_dead_letter_topic(
        self, deps: Ingestion, publisher: RecordingPublisher, dedup: InMemoryDedupStore
    ) -> None:
        sent = broken()
        [result] = run(deps, [sent])
        assert result.status is ItemStatus.REJECTED
        assert [(r.path, r.rule) for r in result.reasons] == [("data.amount_fen", "type")]
        assert result.deadletter_id == "dl-1"
        assert publisher.on(RAW) == []
        [letter] = publisher.on(DLQ)
        assert letter.key == "dl-1" and not letter.cloudevent
        assert letter.value["kind"] == "rejected" and letter.value["stage"] == "push"
        assert letter.value["source"] == "fuling-finance" and letter.value["at"] == NOW.isoformat()
        assert letter.value["reasons"] == [
            {"path": "data.amount_fen", "rule": "type", "message": result.reasons[0].message}
        ]
        assert letter.value["payload"] == deps.pseudonymizer.event(sent)
        assert dedup.ids == {}, "a rejected id can be sent again once fixed"

    def test_dead_letter_payload_is_pseudonymized(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event(AID)
        sent["data"] = {**sent["data"], "amount_fen": "five hundred"}
        run(deps, [sent])
        [letter] = publisher.on(DLQ)
        assert CLEAR_ID_NUMBER not in orjson.dumps(letter.value).decode()

    def test_dead_letter_of_unknown_type_is_swept_by_pii_field_names(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        sent = event(AID, type=f"{PREFIX}finance.not_a_contract.v1")
        [result] = run(deps, [sent])
        assert [(r.path, r.rule) for r in result.reasons] == [("type", "type_registry")]
        assert CLEAR_ID_NUMBER not in orjson.dumps(publisher.on(DLQ)[0].value).decode()

    def test_wrong_school_and_wrong_type_are_rejected_as_forbidden(self, deps: Ingestion) -> None:
        wrong_school = event(schoolid="500199001")
        wrong_type = event(MEAL_FEE)
        results = run(deps, [wrong_school, wrong_type])
        assert [(r.path, r.rule) for r in results[0].reasons] == [
            ("schoolid", "source_school_not_allowed")
        ]
        assert [(r.path, r.rule) for r in results[1].reasons] == [
            ("type", "source_type_not_allowed")
        ]
        assert all(r.forbidden for r in results)

    def test_alerts_are_refused_from_a_source_registered_for_every_type(
        self, deps: Ingestion, publisher: RecordingPublisher, metrics: IngestMetrics
    ) -> None:
        alert, voucher = event(ALERT), event()
        results = run(deps, [alert, voucher], any_type_source())
        assert [r.status for r in results] == [ItemStatus.REJECTED, ItemStatus.ACCEPTED]
        [reason] = results[0].reasons
        assert (reason.path, reason.rule) == ("type", "domain_not_ingested")
        assert "detectors only" in reason.message and "检测器" in reason.message
        assert results[0].forbidden
        assert [m.value["id"] for m in publisher.messages if m.cloudevent] == [voucher["id"]]
        [letter] = publisher.on(DLQ)
        assert letter.value["payload"]["id"] == alert["id"]
        assert (
            metrics.registry.get_sample_value(
                "qinglian_ingest_deadletters_total",
                {"stage": "push", "reason": "domain_not_ingested"},
            )
            == 1
        )

    def test_alert_from_a_finance_source_names_the_domain_rule_first(self, deps: Ingestion) -> None:
        [result] = run(deps, [event(ALERT)])
        assert [r.rule for r in result.reasons] == [
            "domain_not_ingested",
            "source_type_not_allowed",
        ]

    def test_non_object_item(self, deps: Ingestion, publisher: RecordingPublisher) -> None:
        [result] = run(deps, ["just text"])
        assert (result.event_id, [(r.path, r.rule) for r in result.reasons]) == (
            None,
            [("", "not_an_object")],
        )
        assert publisher.on(DLQ)[0].value["payload"] == "just text"

    def test_rejection_log_has_ids_and_rules_but_no_values(self, deps: Ingestion) -> None:
        sent = event(AID)
        sent["data"] = {**sent["data"], "amount_fen": -1}
        with capture_logs() as logs:
            run(deps, [sent])
        [entry] = [line for line in logs if line["event"] == "event rejected"]
        assert entry["event_id"] == sent["id"] and entry["rules"] == ["data.amount_fen:minimum"]
        assert CLEAR_ID_NUMBER not in repr(logs)


class TestMixedBatch:
    def test_every_item_answered_in_order(self, deps: Ingestion) -> None:
        good, bad = event(), broken()
        results = run(deps, [good, bad, good])
        assert [(r.index, r.event_id, r.status) for r in results] == [
            (0, good["id"], ItemStatus.ACCEPTED),
            (1, bad["id"], ItemStatus.REJECTED),
            (2, good["id"], ItemStatus.DUPLICATE),
        ]

    def test_metrics(self, deps: Ingestion, metrics: IngestMetrics) -> None:
        good = event()
        run(deps, [good, broken(), good, "x"])

        def sample(name: str, **labels: str) -> float | None:
            return metrics.registry.get_sample_value(name, labels)

        voucher = f"{PREFIX}{VOUCHER}"
        assert (
            sample("qinglian_ingest_events_received_total", source="fuling-finance", type=voucher)
            == 3
        )
        assert (
            sample("qinglian_ingest_events_received_total", source="fuling-finance", type="unknown")
            == 1
        )
        totals = {
            result: sample(
                "qinglian_ingest_events_total", source="fuling-finance", type=voucher, result=result
            )
            for result in ("accepted", "duplicate", "rejected")
        }
        assert totals == {"accepted": 1, "duplicate": 1, "rejected": 1}
        assert sample("qinglian_ingest_deadletters_total", stage="push", reason="type") == 1
        assert (
            sample("qinglian_ingest_deadletters_total", stage="push", reason="not_an_object") == 1
        )


class TestStorageFailures:
    def test_kafka_down_raises_and_remembers_nothing(
        self, deps: Ingestion, publisher: RecordingPublisher, dedup: InMemoryDedupStore
    ) -> None:
        publisher.down = True
        with pytest.raises(StorageUnavailable, match="re-send"):
            run(deps, [event(), broken()])
        assert dedup.ids == {}

    def test_partial_failure_remembers_what_was_acknowledged(
        self, deps: Ingestion, publisher: RecordingPublisher, dedup: InMemoryDedupStore
    ) -> None:
        publisher.fail_topics = {DLQ}
        good = event()
        with pytest.raises(StorageUnavailable, match="1 of 2"):
            run(deps, [good, broken()])
        publisher.fail_topics = set()
        results = run(deps, [good])
        assert results[0].status is ItemStatus.DUPLICATE, (
            "the stored event is not published twice on re-send"
        )

    def test_dedup_write_failure_after_ack_still_answers_accepted(
        self, deps: Ingestion, publisher: RecordingPublisher
    ) -> None:
        class FailingWrites(InMemoryDedupStore):
            @contextlib.contextmanager
            def claim(self, *args: object) -> Iterator[LookedUp]:
                def keep(_: object) -> None:
                    raise StorageUnavailable("database down")

                yield LookedUp(set(), keep)

        deps = dataclasses.replace(deps, dedup_store=FailingWrites())
        with capture_logs() as logs:
            [result] = run(deps, [event()])
        assert result.status is ItemStatus.ACCEPTED
        assert any(line["event"] == "dedup write failed after kafka ack" for line in logs)
