"""The ingest use case: admit a batch, publish what is new and valid, dead-letter the rest.

Shared by the push API and (later) the pull connectors (``stage``). Blocking: it
waits for Kafka, so the HTTP layer runs it in a worker thread.

Durability rule: a result is returned only when every write of the batch (raw
events and dead letters) was acknowledged by Kafka. Otherwise StorageUnavailable
is raised (503) and the sender re-sends the batch; the ids that were acknowledged
are remembered first, so the re-send answers them "duplicate" instead of
publishing them twice.

PII: raw events and dead-letter payloads are pseudonymized before publishing
(domain.privacy); contract violation messages never repeat values. Both topics
stay access-restricted all the same.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from qinglian.settings import Settings
from qinglian.topics import DOMAINS, deadletter_topic, raw_topic
from services.ingest.domain import deadletter
from services.ingest.domain.admission import Verdict, admit
from services.ingest.domain.privacy import Pseudonymizer
from services.ingest.domain.results import ItemResult, ItemStatus
from services.ingest.domain.sources import SourceSystem
from services.ingest.errors import StorageUnavailable
from services.ingest.service_layer.ports import Claim, DedupStore, Message, Metrics, Publisher

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Topics:
    raw: Mapping[str, str]  # domain → raw topic
    deadletter: str


@dataclass(frozen=True, slots=True)
class Ingestion:
    """Everything the use case needs, built once by the composition root."""

    publisher: Publisher
    dedup_store: DedupStore
    metrics: Metrics
    topics: Topics
    pseudonymizer: Pseudonymizer
    new_id: Callable[[], str]

    @classmethod
    def from_settings(
        cls, settings: Settings, *, publisher: Publisher, dedup_store: DedupStore, metrics: Metrics
    ) -> Ingestion:
        return cls(
            publisher=publisher,
            dedup_store=dedup_store,
            metrics=metrics,
            topics=Topics(
                raw={domain: raw_topic(settings, domain) for domain in DOMAINS},
                deadletter=deadletter_topic(settings),
            ),
            pseudonymizer=Pseudonymizer(settings.pseudonym_key.get_secret_value().encode()),
            new_id=lambda: str(uuid.uuid4()),
        )


def ingest(
    deps: Ingestion,
    items: Sequence[object],
    source: SourceSystem,
    *,
    received_at: datetime,
    stage: deadletter.Stage,
) -> list[ItemResult]:
    verdicts = [admit(index, item, source) for index, item in enumerate(items)]
    # Counted once per type and batch: a label lookup per event was a measurable cost.
    for event_type, count in Counter(verdict.event_type for verdict in verdicts).items():
        deps.metrics.received(source.source_id, event_type, count)
    admitted = {verdict.index: verdict for verdict in verdicts if verdict.admitted}
    claimed = [str(verdict.event_id) for verdict in admitted.values()]
    with deps.dedup_store.claim(source.source_id, claimed, received_at) as claim:
        # Pseudonymized while the store looks the ids up: a re-sent event's pseudonyms are
        # wasted, the wait for the database is not.
        stored_events = {
            index: deps.pseudonymizer.event(verdict.event) for index, verdict in admitted.items()
        }
        plan = _plan(
            deps, verdicts, claim.stored_before(), stored_events, source, received_at, stage
        )
        acknowledged = deps.publisher.publish([message for _, message in plan.writes])
        _keep(claim, source, plan, acknowledged)
    if not all(acknowledged):
        raise StorageUnavailable(
            f"Kafka 未确认写入 / Kafka did not acknowledge {acknowledged.count(False)} "
            f"of {len(acknowledged)} writes; nothing unacknowledged was accepted, "
            "re-send the batch later"
        )
    results = [plan.results[verdict.index] for verdict in verdicts]
    _report(deps, source, stage, verdicts, results)
    return results


@dataclass(frozen=True, slots=True)
class _Plan:
    writes: list[tuple[ItemResult, Message]]
    results: dict[int, ItemResult]


def _plan(
    deps: Ingestion,
    verdicts: Sequence[Verdict],
    stored_before: set[str],
    stored_events: Mapping[int, dict[str, object]],
    source: SourceSystem,
    received_at: datetime,
    stage: deadletter.Stage,
) -> _Plan:
    writes: list[tuple[ItemResult, Message]] = []
    results: dict[int, ItemResult] = {}
    in_batch: set[str] = set()
    for verdict in verdicts:
        if not verdict.admitted:
            result, message = _dead_letter(deps, verdict, source, received_at, stage)
            writes.append((result, message))
        elif verdict.event_id in stored_before or verdict.event_id in in_batch:
            result = ItemResult(verdict.index, verdict.event_id, ItemStatus.DUPLICATE)
        else:
            in_batch.add(str(verdict.event_id))
            topic = deps.topics.raw[str(verdict.domain)]
            result = ItemResult(verdict.index, verdict.event_id, ItemStatus.ACCEPTED, topic=topic)
            event = stored_events[verdict.index]
            writes.append((result, Message(topic, _school(event), event, cloudevent=True)))
        results[verdict.index] = result
    return _Plan(writes, results)


def _dead_letter(
    deps: Ingestion,
    verdict: Verdict,
    source: SourceSystem,
    received_at: datetime,
    stage: deadletter.Stage,
) -> tuple[ItemResult, Message]:
    deadletter_id = deps.new_id()
    record = deadletter.rejection_record(
        deadletter_id=deadletter_id,
        payload=deps.pseudonymizer.payload(verdict.item),
        source_id=source.source_id,
        received_at=received_at,
        reasons=verdict.reasons,
        stage=stage,
    )
    result = ItemResult(
        verdict.index,
        verdict.event_id,
        ItemStatus.REJECTED,
        reasons=verdict.reasons,
        deadletter_id=deadletter_id,
    )
    return result, Message(
        deps.topics.deadletter, deadletter.partition_key(record), record, cloudevent=False
    )


def _school(event: Mapping[str, object]) -> str | None:
    school = event.get("schoolid")
    return school if isinstance(school, str) else None


def _keep(claim: Claim, source: SourceSystem, plan: _Plan, acknowledged: Sequence[bool]) -> None:
    stored = [
        str(result.event_id)
        for (result, _), ok in zip(plan.writes, acknowledged, strict=True)
        if ok and result.status is ItemStatus.ACCEPTED
    ]
    try:
        claim.keep(stored)
    except StorageUnavailable as exc:
        # The events are in Kafka, so they stay acknowledged; a re-send may publish them once more.
        log.error(
            "dedup write failed after kafka ack",
            source=source.source_id,
            event_ids=stored,
            reason=str(exc),
        )


def _report(
    deps: Ingestion,
    source: SourceSystem,
    stage: deadletter.Stage,
    verdicts: Sequence[Verdict],
    results: Sequence[ItemResult],
) -> None:
    outcomes = Counter(
        (verdict.event_type, result.status)
        for verdict, result in zip(verdicts, results, strict=True)
    )
    for (event_type, status), count in outcomes.items():
        deps.metrics.result(source.source_id, event_type, status.value, count)
    rejected = [result for result in results if result.status is ItemStatus.REJECTED]
    for rule, count in Counter(result.reasons[0].rule for result in rejected).items():
        deps.metrics.deadlettered(stage.value, rule, count)
    for result in rejected:
        log.info(
            "event rejected",
            source=source.source_id,
            event_id=result.event_id,
            deadletter_id=result.deadletter_id,
            rules=[f"{reason.path}:{reason.rule}" for reason in result.reasons],
        )
