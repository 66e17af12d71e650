"""An event-time ledger kept in rule state: one entry per source record.

Entries are keyed by the record's id (contract, payment, admission...), and a
record's newer version (by event time, then event id) replaces the older one,
so re-delivered or re-ordered events leave the same ledger. Walking entries in
(time, record id) order makes "the first moment the running total crossed the
threshold" independent of arrival order. JSON form::

    {record_id: {"t": iso time, "a": "amount", "e": event id, "v": iso version time, "k": kind}}

A ledger whose records are many (a term's payments) is kept in pages, by a hash
of the record id, with the running totals per book in the key's state
(:func:`upsert_paged`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import event_time, format_time, parse_time
from services.detectors.core.model import Event
from services.detectors.core.pages import PageEdits, shard_of

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


def upsert_paged(
    totals: dict[str, int],
    pages: PageEdits,
    shards: int,
    book: str,
    record_id: str,
    event: Event,
    *,
    amount: int,
    moment: datetime | None = None,
) -> None:
    """:func:`upsert` into the record's page, keeping ``totals[book]`` (integer amounts) in step."""
    page = shard_of(record_id, shards)
    entries = dict((pages.get(page) or {}).get(book, {}))
    previous = entries.get(record_id)
    if upsert(entries, record_id, event, amount=amount, moment=moment):
        pages.edit(page)[book] = entries
        totals[book] = totals.get(book, 0) + amount - (int(previous["a"]) if previous else 0)


def paged_entries(pages: PageEdits, book: str) -> Entries:
    """One book's entries from every page."""
    return {
        record: entry
        for page in pages.all().values()
        for record, entry in page.get(book, {}).items()
    }


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
