"""What the runtime writes to Kafka, as JSON bytes.

- Alerts: CloudEvents of type ``cn.edu.qinglian.alerts.alert.v1`` whose id is
  the alert's deterministic id, keyed by school id. A district-level alert (a
  cross-school rule's finding with no school) has no ``schoolid`` attribute and
  is keyed by its district id.
- Dead letters: the ``qinglian.deadletter.v1`` record that ingest writes, with
  ``stage = "detect"``. Its id derives from the record's topic, partition and
  offset, so re-processing after a crash writes the same dead letter again
  instead of a second one.
- Repartitioned events for the global rules: ``{"rule_id", "state_key", "event"}``
  keyed by the rule's global state key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from contracts.envelope import new_alert_event
from contracts.errors import ContractViolation
from services.detectors.core.alerts import Alert
from services.detectors.core.model import Event
from services.detectors.runtime.records import Record, UnusableRecord, checked_event

ALERT_SOURCE = "/qinglian/detectors"
DEADLETTER_SCHEMA = "qinglian.deadletter.v1"
DEADLETTER_STAGE = "detect"
DEADLETTER_SOURCE = "detectors"


def alert_event(alert: Alert) -> dict[str, Any]:
    """The alert as a CloudEvent; its ``time`` is the detection time. Without a school the
    event leaves ``schoolid`` out (the contract refuses null) and names only ``districtid``."""
    return new_alert_event(
        alert.to_dict(), source=ALERT_SOURCE, time=datetime.fromisoformat(alert.detected_at)
    )


def alert_key(alert: Alert) -> bytes:
    """The alerts topic's record key: the school id (the district for a district-wide alert)."""
    return (alert.school_id or alert.district_id or "").encode("utf-8")


def deadletter_record(record: Record, problem: UnusableRecord, *, at: datetime) -> dict[str, Any]:
    payload = _payload(record.value)
    identity = payload if isinstance(payload, Mapping) else {}
    return {
        "record": DEADLETTER_SCHEMA,
        "kind": "rejected",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"kafka:{record.topic}/{record.partition}/{record.offset}")),
        "stage": DEADLETTER_STAGE,
        "source": DEADLETTER_SOURCE,
        "at": at.isoformat(),
        "event_id": _text(identity.get("id")),
        "event_type": _text(identity.get("type")),
        "school_id": _text(identity.get("schoolid")),
        "reasons": [{"path": problem.path, "rule": problem.rule, "message": problem.message}],
        "payload": payload,
        "origin": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
    }


def invalid_alert_record(document: Mapping[str, Any], problem: ContractViolation, *, at: datetime) -> dict[str, Any]:
    """A rule produced an alert that breaks the alerts contract: keep it for the rule's author."""
    return {
        "record": DEADLETTER_SCHEMA,
        "kind": "rejected",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alert:{document['id']}")),
        "stage": DEADLETTER_STAGE,
        "source": DEADLETTER_SOURCE,
        "at": at.isoformat(),
        "event_id": document["id"],
        "event_type": document["type"],
        "school_id": document.get("schoolid"),
        "reasons": [{"path": v.path, "rule": v.rule, "message": v.message} for v in problem.violations],
        "payload": dict(document),
    }


def forwarded_event(rule_id: str, state_key: str, event: Event) -> bytes:
    return orjson.dumps({"rule_id": rule_id, "state_key": state_key, "event": event})


def read_forwarded(record: Record) -> tuple[str, str, Event]:
    """(rule id, state key, event) from a repartitioned record; raises UnusableRecord."""
    try:
        message = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError as exc:
        raise UnusableRecord("", "json", f"不是 JSON / not valid JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise UnusableRecord("", "type", "应为 JSON 对象 / a repartitioned record must be a JSON object")
    for name in ("rule_id", "state_key"):
        if not isinstance(message.get(name), str):
            raise UnusableRecord(name, "required", f"缺少字段 / repartitioned record without '{name}'")
    return message["rule_id"], message["state_key"], checked_event(message.get("event"))


def to_json(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(document)


def _payload(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", errors="replace")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
