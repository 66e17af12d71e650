"""Kafka records as the runtime sees them, and decoding them into engine events.

Decoding is the one place a malformed record is recognised: the value must be a
CloudEvent in structured mode (a JSON object) with the envelope fields the
engine reads, a time with a UTC offset, and a record key equal to its school id
(otherwise its school state would live in another partition). Anything else
raises ``UnusableRecord`` with a reason for the dead-letter topic. The full
contract was checked at ingest; re-validating every schema here would double the
per-event cost for no new safety.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

from services.detectors.core.model import Event
from services.detectors.errors import DetectorError

REQUIRED_TEXT = ("id", "type", "time", "schoolid")


class UnusableRecord(DetectorError):
    """A record the detectors cannot use (undecodable, or the engine failed on it);
    ``path`` and ``rule`` locate the problem for the dead-letter record."""

    def __init__(self, path: str, rule: str, message: str) -> None:
        super().__init__(f"{path or '(record)'}: {message}")
        self.path = path
        self.rule = rule
        self.message = message


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp: float | None
    """The Kafka record timestamp in seconds since the epoch (CreateTime)."""
    key: bytes | None
    value: bytes | None


def decode_event(record: Record) -> Event:
    """The record's CloudEvent, checked to be usable by the engine; raises UnusableRecord."""
    if record.value is None:
        raise UnusableRecord("", "tombstone", "空记录 / record has no value (tombstone)")
    try:
        document = orjson.loads(record.value)
    except orjson.JSONDecodeError as exc:
        raise UnusableRecord("", "json", f"不是 JSON / not valid JSON: {exc}") from exc
    event = checked_event(document)
    if record.key != event["schoolid"].encode("utf-8"):
        raise UnusableRecord(
            "schoolid",
            "partition_key",
            f"记录键与学校不符 / record key {record.key!r} is not the school id {event['schoolid']!r}",
        )
    return event


def checked_event(document: object) -> Event:
    if not isinstance(document, dict):
        raise UnusableRecord(
            "", "type", f"应为 JSON 对象 / expected a JSON object, got {type(document).__name__}"
        )
    for name in REQUIRED_TEXT:
        if not isinstance(document.get(name), str) or not document[name]:
            raise UnusableRecord(
                name, "required", f"缺少字段 / missing or empty string field '{name}'"
            )
    if not isinstance(document.get("data"), dict):
        raise UnusableRecord("data", "required", "缺少数据 / 'data' must be a JSON object")
    try:
        moment = datetime.fromisoformat(document["time"])
    except ValueError as exc:
        raise UnusableRecord(
            "time", "format", f"时间格式错误 / not an ISO-8601 time: {document['time']!r}"
        ) from exc
    if moment.tzinfo is None:
        raise UnusableRecord(
            "time", "format", f"时间缺少时区 / time {document['time']!r} has no UTC offset"
        )
    return document
