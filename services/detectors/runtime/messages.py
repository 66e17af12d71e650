"""What the runtime writes to Kafka, as JSON bytes.

- Alerts: CloudEvents of type ``cn.edu.qinglian.alerts.alert.v1`` whose id is
  the alert's deterministic id, keyed by school id. A district-level alert (a
  cross-school rule's finding with no school) has no ``schoolid`` attribute and
  is keyed by its district id.
- Dead letters: the ``qinglian.deadletter.v1`` record that ingest writes, with
  ``stage = "detect"``. Its id derives from the record's topic, partition and
  offset, so re-processing after a crash writes the same dead letter again
  instead of a second one.
- Repartitioned events for the global rules: bundles ``{"forwards": [{"rule_id",
  "state_key", "event", "timestamp"}, ...]}``, each in the partition of its state keys
  (a bundle holds only keys of one partition), without a record key. One record per
  partition and batch instead of one per event: a forwarded event costs the global agent
  its rule's work, not a trip through faust's consumer and stream machinery.
  A clock declaration travels among them as ``{"tick": "<time>", "origin": <clock partition>,
  "timestamp"}``, in every partition, once its school worker's event time has reached it (so
  after the forwards of every event before it).
- Clock declarations (``qinglian detectors clock``): ``{"through": "<time>"}``, one record
  in every partition of the clock topic, without a record key.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from contracts.envelope import new_alert_event
from contracts.errors import ContractViolation
from services.detectors.core.alerts import Alert
from services.detectors.core.eventtime import format_time, parse_time
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


def deadletter_record(
    record: Record, problem: UnusableRecord, *, at: datetime, item: int | None = None
) -> dict[str, Any]:
    """The dead letter of a record, or of one forward (``item``: its index) of a repartitioned bundle."""
    payload = _payload(record.value)
    identity = payload if isinstance(payload, Mapping) else {}
    if item is not None:
        payload = identity["forwards"][item]
        identity = payload["event"]
    place = f"kafka:{record.topic}/{record.partition}/{record.offset}" + (
        "" if item is None else f"#{item}"
    )
    origin: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }
    if item is not None:
        origin["item"] = item
    return {
        "record": DEADLETTER_SCHEMA,
        "kind": "rejected",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, place)),
        "stage": DEADLETTER_STAGE,
        "source": DEADLETTER_SOURCE,
        "at": at.isoformat(),
        "event_id": _text(identity.get("id")),
        "event_type": _text(identity.get("type")),
        "school_id": _text(identity.get("schoolid")),
        "reasons": [{"path": problem.path, "rule": problem.rule, "message": problem.message}],
        "payload": payload,
        "origin": origin,
    }


def invalid_alert_record(
    document: Mapping[str, Any], problem: ContractViolation, *, at: datetime
) -> dict[str, Any]:
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
        "reasons": [
            {"path": v.path, "rule": v.rule, "message": v.message} for v in problem.violations
        ],
        "payload": dict(document),
    }


@dataclass(frozen=True, slots=True)
class Forward:
    """An event to repartition for one global rule, keyed by that rule's state key."""

    state_key: str
    rule_id: str
    event: Event
    timestamp: float | None
    """Kafka timestamp (seconds) of the raw record the event came in."""


@dataclass(frozen=True, slots=True)
class Tick:
    """A declaration that event time has reached ``through``: the watermark may move there
    although no event says so."""

    through: datetime
    origin: int
    """The partition of the clock topic it was declared in: the global rules' time moves once
    every partition's school worker has passed it on."""
    timestamp: float | None
    """Kafka timestamp (seconds) of the clock record it came in."""


def clock_record(through: datetime) -> bytes:
    """A clock topic record's value."""
    if through.tzinfo is None:
        raise ValueError(f"time {through.isoformat()} has no UTC offset")
    return to_json({"through": format_time(through)})


def read_clock(record: Record) -> Tick:
    """The declaration of a clock topic record; raises UnusableRecord if it is not one."""
    try:
        message = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError as exc:
        raise UnusableRecord("", "json", f"不是 JSON / not valid JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise UnusableRecord(
            "through", "required", "时钟记录应为 JSON 对象 / a clock record must be a JSON object"
        )
    return Tick(_through(message.get("through"), "through"), record.partition, record.timestamp)


def forwarded_item(forward: Forward | Tick) -> bytes:
    """One forward or tick, serialized on its own so the runner can size bundles before joining them."""
    if isinstance(forward, Tick):
        return to_json(
            {
                "tick": format_time(forward.through),
                "origin": forward.origin,
                "timestamp": forward.timestamp,
            }
        )
    return to_json(
        {
            "rule_id": forward.rule_id,
            "state_key": forward.state_key,
            "event": forward.event,
            "timestamp": forward.timestamp,
        }
    )


def forward_bundle(items: Sequence[bytes]) -> bytes:
    """A repartitioned record's value from serialized forwards (``forwarded_item``)."""
    return b'{"forwards":[' + b",".join(items) + b"]}"


def read_forwarded(record: Record) -> list[Forward | Tick]:
    """The forwards of a repartitioned record; raises UnusableRecord if the record is not a bundle
    of well-formed forwards (the runtime writes them: a malformed one is a corrupt record)."""
    try:
        message = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError as exc:
        raise UnusableRecord("", "json", f"不是 JSON / not valid JSON: {exc}") from exc
    if not isinstance(message, dict) or not isinstance(message.get("forwards"), list):
        raise UnusableRecord(
            "forwards",
            "type",
            "应为转发事件列表 / a repartitioned record must hold a 'forwards' list",
        )
    return [_forward(index, item) for index, item in enumerate(message["forwards"])]


def _forward(index: int, item: object) -> Forward | Tick:
    if not isinstance(item, dict):
        raise UnusableRecord(
            f"forwards[{index}]", "type", "应为 JSON 对象 / a forward must be a JSON object"
        )
    timestamp = item.get("timestamp")
    if timestamp is not None and not isinstance(timestamp, int | float):
        raise UnusableRecord(
            f"forwards[{index}].timestamp",
            "type",
            "应为数字 / a forward's timestamp must be a number",
        )
    if "tick" in item:
        origin = item.get("origin")
        if not isinstance(origin, int) or isinstance(origin, bool) or origin < 0:
            raise UnusableRecord(
                f"forwards[{index}].origin",
                "type",
                "应为分区号 / a tick's origin must be a partition number",
            )
        return Tick(_through(item["tick"], f"forwards[{index}].tick"), origin, timestamp)
    for name in ("rule_id", "state_key"):
        if not isinstance(item.get(name), str):
            raise UnusableRecord(
                f"forwards[{index}].{name}", "required", f"缺少字段 / forward without '{name}'"
            )
    return Forward(item["state_key"], item["rule_id"], checked_event(item.get("event")), timestamp)


def _through(value: object, path: str) -> datetime:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return parse_time(value)
    raise UnusableRecord(
        path,
        "format",
        f"应为带时区的 ISO-8601 时间 / expected an ISO-8601 time with offset, got {value!r}",
    )


def to_json(document: Any) -> bytes:
    """``document`` as compact JSON in a bytes object of its own size.

    orjson returns its working buffer (at least 1 KB, 4 KB since 3.12) without shrinking it:
    a batch's thousands of changelog records held until the broker acknowledges them took
    ~12 KB each, most of a worker's peak memory (measured with memray). The copy costs
    ~0.15 µs."""
    return bytes(memoryview(orjson.dumps(document)))


def _payload(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", errors="replace")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
