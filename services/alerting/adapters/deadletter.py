"""Rejected alert records to the dead-letter topic, in the record format ``qinglian dlq`` reads.

The record is ingest's ``qinglian.deadletter.v1`` rejection (stage ``alerting``)
plus ``origin``: where the alert was read (topic, partition, offset, key). A person
subject that is not a pseudonym is redacted from the stored payload: the topic is
kept indefinitely and must not become a store of clear identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from qinglian.errors import BrokerUnavailable

RECORD_SCHEMA = "qinglian.deadletter.v1"
STAGE = "alerting"
REDACTED = "[redacted]"
_PSEUDONYM = re.compile(r"pn:[0-9a-f]{32}")


class ReceivedRecord(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def rejection_record(
    record: ReceivedRecord,
    *,
    deadletter_id: str,
    reasons: Sequence[Mapping[str, str]],
    at: datetime,
    source: str,
) -> dict[str, Any]:
    payload = _payload(record.value)
    envelope = payload if isinstance(payload, dict) else {}
    return {
        "record": RECORD_SCHEMA,
        "kind": "rejected",
        "id": deadletter_id,
        "stage": STAGE,
        "source": source,
        "at": at.isoformat(),
        "event_id": _text(envelope.get("id")),
        "event_type": _text(envelope.get("type")),
        "school_id": _text(envelope.get("schoolid")),
        "reasons": [dict(reason) for reason in reasons],
        "payload": payload,
        "origin": {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": None if record.key is None else record.key.decode("utf-8", errors="replace"),
        },
    }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _payload(value: bytes | None) -> Any:
    """The event as received: parsed JSON when it is JSON, else its text."""
    if value is None:
        return None
    try:
        payload = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", errors="replace")
    _redact_clear_person_subject(payload)
    return payload


def _redact_clear_person_subject(payload: Any) -> None:
    data = payload.get("data") if isinstance(payload, dict) else None
    subject = data.get("subject") if isinstance(data, dict) else None
    if not isinstance(subject, dict) or subject.get("kind") not in ("student", "staff"):
        return
    subject_id = subject.get("id")
    if not (isinstance(subject_id, str) and _PSEUDONYM.fullmatch(subject_id)):
        subject["id"] = REDACTED


class KafkaDeadLetterSink:
    """Sends rejection records and, on ``flush``, waits until Kafka has every one of them."""

    def __init__(
        self, producer: KafkaProducer, topic: str, *, timeout_seconds: float = 30.0
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_seconds = timeout_seconds
        self._in_flight: list[Any] = []

    def send(self, record: Mapping[str, Any]) -> None:
        future = self._producer.send(
            self._topic, key=str(record["id"]).encode(), value=orjson.dumps(record)
        )
        self._in_flight.append(future)

    def flush(self) -> None:
        in_flight, self._in_flight = self._in_flight, []
        try:
            self._producer.flush(timeout=self._timeout_seconds)
            for future in in_flight:
                future.get(timeout=self._timeout_seconds)
        except KafkaError as exc:
            raise BrokerUnavailable(
                f"死信写入失败 / could not write to the dead-letter topic {self._topic}: {exc}"
            ) from exc

    def close(self) -> None:
        self._producer.close(timeout=self._timeout_seconds)
