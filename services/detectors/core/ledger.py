"""An event-time ledger kept in rule state: one entry per source record.

Entries are keyed by the record's id (contract, payment, admission...), and a
record's newer version (by event time, then event id) replaces the older one,
so re-delivered or re-ordered events leave the same ledger. Walking entries in
(time, record id) order makes "the first moment the running total crossed the
threshold" independent of arrival order. JSON form::

    {record_id: {"t": iso time, "a": "amount", "e": event id, "v": iso version time, "k": kind}}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import event_time, format_time, parse_time
from services.detectors.core.model import Event

Entries = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Entry:
    record_id: str
    time: datetime
    amount: Decimal
    event_id: str
    kind: str


def upsert(
    entries: Entries,
    record_id: str,
    event: Event,
    *,
    amount: Decimal | int,
    kind: str = "",
    moment: datetime | None = None,
) -> bool:
    """Record the event's version of a record; False if an equal or newer version is already there."""
    version = (event_time(event), event["id"])
    current = entries.get(record_id)
    if current is not None and (parse_time(current["v"]), current["e"]) >= version:
        return False
    entries[record_id] = {
        "t": format_time(moment or version[0]),
        "a": str(amount),
        "e": event["id"],
        "v": format_time(version[0]),
        "k": kind,
    }
    return True


def ordered(entries: Mapping[str, Mapping[str, Any]]) -> list[Entry]:
    items = [
        Entry(record_id, parse_time(value["t"]), Decimal(value["a"]), value["e"], value["k"])
        for record_id, value in entries.items()
    ]
    return sorted(items, key=lambda entry: (entry.time, entry.record_id))


def running_totals(entries: Iterable[Entry]) -> Iterator[tuple[list[Entry], Decimal]]:
    """Each prefix of the entries with the total of its amounts."""
    prefix: list[Entry] = []
    total = Decimal(0)
    for entry in entries:
        prefix.append(entry)
        total += entry.amount
        yield prefix, total
