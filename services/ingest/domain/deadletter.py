"""Dead-letter records: what the ``deadletter`` topic holds, and the history an operator sees.

The topic is append-only. A rejection is one record; re-sending it after a fix
(``qinglian dlq redrive``) appends a second record that points at the first, so the
history of every event stays readable. Both are keyed by the rejection's id, so
they land in the same partition, in order.

Record (JSON, ``record`` = ``qinglian.deadletter.v1``)::

    kind         "rejected" | "redriven"
    id           this record's id (uuid)
    stage        where the event was rejected: "push" | "pull"
    source       registered source id
    at           RFC 3339 time the event was received (rejected) or re-sent (redriven)
    event_id, event_type, school_id   copied from the payload when present
    reasons      [{path, rule, message}]                 (rejected)
    redrives     id of the rejection this re-sends        (redriven)
    topic        raw topic the fixed event went to        (redriven)
    payload      the event as received (rejected) or as re-sent (redriven),
                 with the contract's PII fields pseudonymized (see service_layer.push)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from services.ingest.domain.results import Reason

RECORD_SCHEMA = "qinglian.deadletter.v1"


class Stage(StrEnum):
    PUSH = "push"
    PULL = "pull"


class Kind(StrEnum):
    REJECTED = "rejected"
    REDRIVEN = "redriven"


def _field(payload: object, name: str) -> str | None:
    value = payload.get(name) if isinstance(payload, Mapping) else None
    return value if isinstance(value, str) else None


def _identity(payload: object) -> dict[str, str | None]:
    return {
        "event_id": _field(payload, "id"),
        "event_type": _field(payload, "type"),
        "school_id": _field(payload, "schoolid"),
    }


def rejection_record(
    *,
    deadletter_id: str,
    payload: object,
    source_id: str,
    received_at: datetime,
    reasons: Sequence[Reason],
    stage: Stage,
) -> dict[str, object]:
    return {
        "record": RECORD_SCHEMA,
        "kind": Kind.REJECTED.value,
        "id": deadletter_id,
        "stage": stage.value,
        "source": source_id,
        "at": received_at.isoformat(),
        **_identity(payload),
        "reasons": [{"path": r.path, "rule": r.rule, "message": r.message} for r in reasons],
        "payload": payload,
    }


def redrive_record(
    *,
    deadletter_id: str,
    rejection: DeadLetter,
    event: Mapping[str, object],
    topic: str,
    at: datetime,
) -> dict[str, object]:
    return {
        "record": RECORD_SCHEMA,
        "kind": Kind.REDRIVEN.value,
        "id": deadletter_id,
        "stage": rejection.stage,
        "source": rejection.source,
        "at": at.isoformat(),
        **_identity(event),
        "redrives": rejection.deadletter_id,
        "topic": topic,
        "payload": dict(event),
    }


def partition_key(record: Mapping[str, object]) -> str:
    return str(record.get("redrives") or record["id"])


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejection with the re-sends that followed it."""

    deadletter_id: str
    stage: str
    source: str
    at: str
    event_id: str | None
    event_type: str | None
    school_id: str | None
    reasons: tuple[Reason, ...]
    payload: object
    redrives: tuple[Mapping[str, object], ...] = field(default=())

    @property
    def redriven(self) -> bool:
        return bool(self.redrives)


def history(records: Iterable[Mapping[str, object]]) -> list[DeadLetter]:
    """Rejections in topic order, each with its re-sends; records of other shapes are skipped."""
    rejections: dict[str, DeadLetter] = {}
    redrives: dict[str, list[Mapping[str, object]]] = {}
    for record in records:
        if record.get("record") != RECORD_SCHEMA:
            continue
        if record.get("kind") == Kind.REJECTED.value:
            rejections[str(record["id"])] = _rejection(record)
        elif record.get("kind") == Kind.REDRIVEN.value:
            redrives.setdefault(str(record.get("redrives")), []).append(record)
    return [
        replace(letter, redrives=tuple(redrives.get(letter.deadletter_id, ())))
        for letter in rejections.values()
    ]


def _rejection(record: Mapping[str, object]) -> DeadLetter:
    raw_reasons = record.get("reasons")
    reasons = tuple(
        Reason(str(r.get("path", "")), str(r.get("rule", "")), str(r.get("message", "")))
        for r in (raw_reasons if isinstance(raw_reasons, list) else [])
        if isinstance(r, Mapping)
    )
    return DeadLetter(
        deadletter_id=str(record["id"]),
        stage=str(record.get("stage", "")),
        source=str(record.get("source", "")),
        at=str(record.get("at", "")),
        event_id=_field(record, "event_id"),
        event_type=_field(record, "event_type"),
        school_id=_field(record, "school_id"),
        reasons=reasons,
        payload=record.get("payload"),
    )
