"""Where the engine keeps per-key rule state.

Each entry is ``{"state": <rule state>, "timer": <ISO time or null>}``, JSON
types only, so the streaming runtime can keep it in a faust table (changelog
topic) and the replay tool in memory. Keys are ``(rule id, state key)``; the
state key starts with the school id (or ``global|``), which is the partition key.
A page of a key (``"<key>#<page>"``, see ``rule``) is an entry like any other,
``{"state": <page>}``, in the partition of its key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from services.detectors.errors import DetectorError

StoredState = dict[str, Any]


class StateStore(Protocol):
    def get(self, rule_id: str, key: str) -> StoredState | None: ...

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        """``encoded``: the entry as compact JSON, which the engine makes anyway to check its
        size; a store that keeps entries serialized keeps these bytes (orjson's buffer: copy it
        to its own size to hold it)."""
        ...

    def delete(self, rule_id: str, key: str) -> None: ...

    def items(self) -> Iterator[tuple[str, str, StoredState]]: ...


class InMemoryStateStore:
    def __init__(self, snapshot: dict[str, dict[str, StoredState]] | None = None) -> None:
        self._entries: dict[tuple[str, str], StoredState] = {
            (rule_id, key): value
            for rule_id, keys in (snapshot or {}).items()
            for key, value in keys.items()
        }

    def get(self, rule_id: str, key: str) -> StoredState | None:
        return self._entries.get((rule_id, key))

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        self._entries[(rule_id, key)] = value

    def delete(self, rule_id: str, key: str) -> None:
        self._entries.pop((rule_id, key), None)

    def items(self) -> Iterator[tuple[str, str, StoredState]]:
        for (rule_id, key), value in list(self._entries.items()):
            yield rule_id, key, value

    def snapshot(self) -> dict[str, dict[str, StoredState]]:
        """All state as one JSON-able mapping ``{rule id: {key: entry}}``."""
        result: dict[str, dict[str, StoredState]] = {}
        for (rule_id, key), value in sorted(self._entries.items()):
            result.setdefault(rule_id, {})[key] = value
        return result

    def __len__(self) -> int:
        return len(self._entries)


class StateEntryTooLargeError(DetectorError):
    """A rule tried to store an entry above the engine's limit (the changelog would refuse it)."""

    def __init__(self, rule_id: str, key: str, size: int, limit: int) -> None:
        super().__init__(
            f"规则 {rule_id} 的状态条目 {key!r} 为 {size:,} 字节，超过上限 {limit:,} 字节 / "
            f"rule {rule_id} state entry {key!r} is {size:,} bytes, above the limit of "
            f"{limit:,} bytes: split it into pages or keep counts instead of lists"
        )
        self.rule_id = rule_id
        self.key = key
        self.size = size
        self.limit = limit
