"""From a source record (a row, a REST item) to a contract event, and back.

A ``RecordMapping`` says, for one event type, where each contract field comes from:
a column (converted, see ``convert``) or a constant. ``to_event`` builds the
CloudEvent; ``to_record`` is its inverse, used by the source-side writers.

A value that does not convert is kept raw (JSON-safe) at its field, so the
contract check in the ingest use case rejects the event *at that field*: the
dead letter and the file's reason report then name the exact field and rule.

Event ids are UUIDv5 over (connector, stream, record key, record version): a record
pulled twice gets the same id and the second copy is answered "duplicate"; a
record updated at the source (new version) becomes a new event.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import new_event
from contracts.violations import format_path
from services.ingest.connectors.domain.convert import SIMPLE, ConversionError, Converter, json_safe

ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://contracts.qinglian.edu.cn/connectors")
# Stands in while a time column does not convert; the raw value then replaces it, for the contract to reject.
_UNCONVERTED_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_SEGMENT = re.compile(r"([^.\[\]\s]+)|\[(\d+)\]")

Path = tuple[str | int, ...]


def parse_path(text: str) -> Path:
    """``"lines[0].amount_fen"`` → ``("lines", 0, "amount_fen")``; raises ValueError when malformed."""
    segments: list[str | int] = []
    position = 0
    for match in _SEGMENT.finditer(text):
        name, index = match.groups()
        expected_gap = "." if name is not None and segments else ""
        if text[position : match.start()] != expected_gap:
            raise ValueError(f"malformed field path {text!r}")
        segments.append(int(index) if index is not None else name)
        position = match.end()
    if not segments or position != len(text) or not isinstance(segments[0], str):
        raise ValueError(f"malformed field path {text!r}")
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Where one value comes from: ``column`` through ``converter``, or the ``constant``."""

    column: str | None = None
    constant: object = None
    converter: Converter = SIMPLE["none"]
    keep_null: bool = False  # a NULL/empty source value: write null (True) or leave the field out

    def read(self, record: Mapping[str, object]) -> tuple[bool, object]:
        """(present, value) for this record; a value that does not convert is returned raw."""
        if self.column is None:
            return True, self.constant
        raw = record.get(self.column)
        if raw is None:
            return self.keep_null, None
        try:
            return True, self.converter.forward(raw)
        except ConversionError:
            return True, json_safe(raw)


@dataclass(frozen=True, slots=True)
class RecordMapping:
    event_type: str
    school_id: FieldRule
    time: FieldRule
    fields: tuple[tuple[Path, FieldRule], ...]
    subject: FieldRule | None = None
    district_id: FieldRule | None = None
    key: tuple[str, ...] = ()  # columns that identify the record at the source
    version: str | None = None  # column that changes when the record changes (updated_at)
    _columns_by_path: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_path = {
            format_path(path, "data"): rule.column
            for path, rule in self.fields
            if rule.column is not None
        }
        for attribute, rule in self.envelope_rules():
            if rule.column is not None:
                by_path[attribute] = rule.column
        object.__setattr__(self, "_columns_by_path", by_path)

    def envelope_rules(self) -> list[tuple[str, FieldRule]]:
        """(CloudEvents attribute, rule) for the envelope values read from the record."""
        rules = [("schoolid", self.school_id), ("time", self.time)]
        rules += [("subject", self.subject)] if self.subject else []
        rules += [("districtid", self.district_id)] if self.district_id else []
        return rules

    def column_rules(self) -> dict[str, FieldRule]:
        """Each column read, with the first rule that reads it (its converter says the column's type)."""
        rules = [rule for _, rule in self.envelope_rules()] + [rule for _, rule in self.fields]
        by_column: dict[str, FieldRule] = {}
        for rule in rules:
            if rule.column is not None:
                by_column.setdefault(rule.column, rule)
        return by_column

    @property
    def columns(self) -> frozenset[str]:
        """Every column the mapping reads."""
        return frozenset(
            {*self._columns_by_path.values(), *self.key, *([self.version] if self.version else [])}
        )

    def column_of(self, violation_path: str) -> str | None:
        """The source column behind a contract violation path (the longest mapped prefix)."""
        candidate = violation_path
        while candidate:
            if candidate in self._columns_by_path:
                return self._columns_by_path[candidate]
            cut = max(candidate.rfind("."), candidate.rfind("["))
            candidate = candidate[:cut] if cut > 0 else ""
        return None

    def record_key(self, record: Mapping[str, object]) -> tuple[str, ...]:
        """The record's key and version as text, for its event id."""
        columns = (*self.key, *([self.version] if self.version else []))
        return tuple(str(json_safe(record.get(column))) for column in columns)


def event_id(*parts: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def to_event(
    mapping: RecordMapping, record: Mapping[str, object], *, source: str, event_id: str
) -> dict[str, Any]:
    """The CloudEvent for one record; ``source`` may hold ``{school_id}``. Not validated here."""
    data: dict[str, Any] = {}
    for path, rule in mapping.fields:
        present, value = rule.read(record)
        if present:
            _set(data, path, value)
    return build_event(
        mapping.event_type,
        source,
        mapping.school_id.read(record)[1],
        data,
        time=mapping.time.read(record)[1],
        subject=_optional(mapping.subject, record),
        event_id=event_id,
        district_id=_optional(mapping.district_id, record),
    )


def build_event(
    event_type: str,
    source: str,
    school_id: object,
    data: dict[str, Any],
    *,
    time: object,
    subject: object,
    event_id: str,
    district_id: object,
) -> dict[str, Any]:
    """``contracts.envelope.new_event`` for converted source values, which may still be wrong.

    A wrong value stays in the event as it came, so the contract check rejects the
    event at that attribute instead of the connector failing on it.
    """
    moment = _aware_time(time)
    event = new_event(
        event_type,
        source.format(school_id=school_id),
        school_id,  # type: ignore[arg-type]
        data,
        time=moment or _UNCONVERTED_TIME,
        subject=subject,  # type: ignore[arg-type]
        event_id=event_id,
        district_id=district_id,  # type: ignore[arg-type]
    )
    if moment is None:
        event["time"] = json_safe(time)
    return event


def to_record(mapping: RecordMapping, event: Mapping[str, Any]) -> dict[str, object]:
    """The source record an event was mapped from (the inverse of ``to_event``), for the writers."""
    record: dict[str, object] = {}
    located = [((name,), rule) for name, rule in mapping.envelope_rules()]
    located += [(("data", *path), rule) for path, rule in mapping.fields]
    for path, rule in located:
        if rule.column is None or rule.column in record:
            continue
        present, value = _get(event, path)
        if present:
            record[rule.column] = None if value is None else rule.converter.inverse(value)
    return record


def _optional(rule: FieldRule | None, record: Mapping[str, object]) -> Any:
    if rule is None:
        return None
    return rule.read(record)[1]


def _aware_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _set(node: Any, path: Path, value: object) -> None:
    for segment, following in itertools.pairwise(path):
        child = _child(node, segment)
        if child is None:
            child = [] if isinstance(following, int) else {}
            _put(node, segment, child)
        node = child
    _put(node, path[-1], value)


def _child(node: Any, segment: str | int) -> Any:
    if isinstance(segment, int):
        return node[segment] if segment < len(node) else None
    return node.get(segment)


def _put(node: Any, segment: str | int, value: object) -> None:
    if isinstance(segment, int):
        node.extend([None] * (segment + 1 - len(node)))
    node[segment] = value


def _get(node: Any, path: Sequence[str | int]) -> tuple[bool, object]:
    for segment in path:
        if isinstance(segment, int):
            if not isinstance(node, list) or segment >= len(node):
                return False, None
        elif not isinstance(node, Mapping) or segment not in node:
            return False, None
        node = node[segment]
    return True, node
