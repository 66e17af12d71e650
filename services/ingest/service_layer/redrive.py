"""Re-sending a dead letter after an operator fixed it (`qinglian dlq redrive`).

The operator is trusted: the source's type and school permissions are not checked
again, but the contract and the dedup store are. The rejection stays in the topic;
the re-send is appended as a ``redriven`` record pointing at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from contracts import registry
from contracts.errors import ContractViolation
from services.ingest.domain import deadletter
from services.ingest.domain.admission import domain_refusal
from services.ingest.errors import DeadLetterNotFound, RedriveRefused, StorageUnavailable
from services.ingest.service_layer.ingestion import Ingestion
from services.ingest.service_layer.ports import DeadLetterReader, Message

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Redriven:
    redrive_id: str
    event_id: str
    topic: str


def find(reader: DeadLetterReader, deadletter_id: str) -> deadletter.DeadLetter:
    for letter in deadletter.history(reader.records()):
        if letter.deadletter_id == deadletter_id:
            return letter
    raise DeadLetterNotFound(
        f"找不到死信 / no dead letter with id {deadletter_id}; see `qinglian dlq list`"
    )


def redrive(
    deps: Ingestion,
    reader: DeadLetterReader,
    deadletter_id: str,
    *,
    fixed: Mapping[str, object] | None,
    at: datetime,
) -> Redriven:
    letter = find(reader, deadletter_id)
    if letter.redriven:
        raise RedriveRefused(
            f"已重发过 / dead letter {deadletter_id} was already re-sent "
            f"at {letter.redrives[-1].get('at')}"
        )
    candidate = fixed if fixed is not None else letter.payload
    if not isinstance(candidate, Mapping):
        raise RedriveRefused(
            "死信内容不是事件对象 / the payload is not a JSON object: "
            "pass a fixed event with --file"
        )
    event = dict(candidate)
    _validate(event)
    event_id, domain = str(event["id"]), registry.domain_of(str(event["type"]))
    refusal = domain_refusal(domain)
    if refusal is not None:
        raise RedriveRefused(refusal.message)
    with deps.dedup_store.claim(letter.source, [event_id], at) as claim:
        if claim.stored_before():
            raise RedriveRefused(
                f"事件已接收 / event {event_id} from source '{letter.source}' was already accepted"
            )
        topic = deps.topics.raw[domain]
        stored_event = deps.pseudonymizer.event(event)
        record = deadletter.redrive_record(
            deadletter_id=deps.new_id(), rejection=letter, event=stored_event, topic=topic, at=at
        )
        raw_ack, record_ack = deps.publisher.publish(
            [
                Message(topic, str(event["schoolid"]), stored_event, cloudevent=True),
                Message(
                    deps.topics.deadletter,
                    deadletter.partition_key(record),
                    record,
                    cloudevent=False,
                ),
            ]
        )
        if raw_ack:
            claim.keep([event_id])
            deps.metrics.result(letter.source, str(event["type"]), "accepted")
    if not (raw_ack and record_ack):
        raise StorageUnavailable(
            "Kafka 未确认写入 / Kafka did not acknowledge the re-send"
            + (
                " (the event is stored; only the history record is missing)"
                if raw_ack
                else "; try again"
            )
        )
    log.info(
        "dead letter redriven",
        deadletter_id=deadletter_id,
        redrive_id=record["id"],
        event_id=event_id,
    )
    return Redriven(str(record["id"]), event_id, topic)


def _validate(event: dict[str, object]) -> None:
    try:
        registry.validate(event)
    except ContractViolation as exc:
        problems = "; ".join(
            f"{v.path or '(event)'} [{v.rule}] {v.message}" for v in exc.violations
        )
        raise RedriveRefused(
            f"修正后的事件仍不符合契约 / the event still breaks its contract: {problems}"
        ) from exc
