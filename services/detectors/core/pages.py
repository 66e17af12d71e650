"""Pages: one key's state spread over several small entries.

A changelog record re-sends a whole entry at each write, and Kafka refuses
records above 1 MB, so a rule whose state grows with what it has seen (a
term's payments, a school's students, a district's contracting processes)
keeps a small summary in its key and the records in pages: entries stored
under ``"<key>#<page>"``, in the partition of their key. A rule names pages
itself: by record (an ocid, a school) or by a stable hash of the record id
(:func:`shard_of`) when the records are many and small.

The rule reads pages through ``ctx.pages`` (read-only) and returns those it
changed in ``Step.pages`` (None deletes one); :class:`PageEdits` does that
bookkeeping, so a step reads its own writes.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

from services.detectors.core.state import StateStore

PAGE_SEPARATOR = "#"

Page = dict[str, Any]
"""One page: JSON types only, like a key's state."""


def page_key(key: str, page: str) -> str:
    """Where a page of ``key`` is stored."""
    return f"{key}{PAGE_SEPARATOR}{page}"


def shard_of(record_id: str, shards: int) -> str:
    """A stable page name for a record among ``shards`` pages (CRC-32: the same in every process)."""
    return str(zlib.crc32(record_id.encode("utf-8")) % shards)


class Pages(Protocol):
    """Read access to the pages of the key being updated. Treat what it returns as
    read-only: a changed page takes effect only when returned in ``Step.pages``."""

    def get(self, page: str) -> Page | None: ...

    def names(self) -> list[str]:
        """The key's page names, sorted."""
        ...

    def all(self) -> dict[str, Page]:
        """Every page of the key by name, sorted by name."""
        ...

    def __contains__(self, page: object) -> bool: ...

    def __len__(self) -> int: ...


class NoPages:
    """The pages of a key that has none (a rule context built outside the engine)."""

    def get(self, page: str) -> Page | None:
        return None

    def names(self) -> list[str]:
        return []

    def all(self) -> dict[str, Page]:
        return {}

    def __contains__(self, page: object) -> bool:
        return False

    def __len__(self) -> int:
        return 0


class StoredPages:
    """The pages of one key in a state store, as the engine hands them to a rule."""

    def __init__(self, store: StateStore, rule_id: str, key: str, names: Sequence[str]) -> None:
        """``names``: the key's page names, sorted."""
        self._store = store
        self._rule_id = rule_id
        self._key = key
        self._names = names

    def get(self, page: str) -> Page | None:
        entry = self._store.get(self._rule_id, page_key(self._key, page))
        return entry["state"] if entry else None

    def names(self) -> list[str]:
        return list(self._names)

    def all(self) -> dict[str, Page]:
        pages = {page: self.get(page) for page in self.names()}
        return {page: state for page, state in pages.items() if state is not None}

    def __contains__(self, page: object) -> bool:
        if not isinstance(page, str):
            return False
        at = bisect.bisect_left(self._names, page)
        return at < len(self._names) and self._names[at] == page

    def __len__(self) -> int:
        return len(self._names)


class PageEdits:
    """The pages one step changes, over the stored ones, so the step reads its own writes.

    ``edit`` returns a shallow copy to change: replace the values inside it
    rather than mutating them, since they are shared with the stored page.
    """

    def __init__(self, pages: Pages) -> None:
        self._pages = pages
        self._stored: dict[str, Page | None] = {}
        self.changed: dict[str, Page | None] = {}

    def get(self, page: str) -> Page | None:
        if page in self.changed:
            return self.changed[page]
        # A stored page may be read many times a step (once per student on it).
        if page not in self._stored:
            self._stored[page] = self._pages.get(page)
        return self._stored[page]

    def edit(self, page: str) -> Page:
        current = self.changed.get(page)
        if current is None:
            current = self.changed[page] = dict(self.get(page) or {})
        return current

    def put(self, page: str, value: Page) -> None:
        self.changed[page] = value

    def delete(self, page: str) -> None:
        self.changed[page] = None

    def delete_all(self) -> None:
        self.changed = dict.fromkeys(self._pages.names())

    def names(self) -> list[str]:
        """The key's page names with this step's changes, sorted."""
        deleted = {page for page, value in self.changed.items() if value is None}
        return sorted({*self._pages.names(), *self.changed} - deleted)

    def all(self) -> dict[str, Page]:
        pages = {page: self.get(page) for page in self.names()}
        return {page: state for page, state in pages.items() if state is not None}

    def __len__(self) -> int:
        """How many pages the key has with this step's changes."""
        added = sum(1 for p, v in self.changed.items() if v is not None and p not in self._pages)
        removed = sum(1 for p, v in self.changed.items() if v is None and p in self._pages)
        return len(self._pages) + added - removed
