"""The engine's state over a faust table, with writes buffered for one batch.

Reads see this batch's writes first, then the table. Writes stay in memory until
the runtime takes them with ``take_changes()`` after the batch's alerts are
published, and writes each changed key to the table (one changelog record per
key per batch, not per event). A table key is ``"<rule id>|<state key>"``.

Writes are held as the JSON the engine made of them, which is what the changelog and
RocksDB take: a batch whose timers fire for every school changes tens of thousands of
keys at 1,000 schools (150,474 keys and 102 MB of JSON when E2 still rewrote every student
at midnight), and held decoded as well as serialized they were most of a worker's peak
memory.

``items()`` only yields keys in partitions this worker owns: an in-memory faust
table keeps the rows of partitions it lost in a rebalance, and the engine must
not fire timers for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping

import orjson

from services.detectors.core.state import StoredState

DELETED = None


def table_key(rule_id: str, key: str) -> str:
    return f"{rule_id}|{key}"


def split_table_key(table_key_: str) -> tuple[str, str]:
    rule_id, _, key = table_key_.partition("|")
    return rule_id, key


class BufferedTableStore:
    def __init__(self, table: Mapping[str, StoredState], owns: Callable[[str], bool]) -> None:
        """``table``: the table's data (read only here); ``owns(state key)``: is the key's partition ours."""
        self._table = table
        self._owns = owns
        self._changes: dict[str, bytes | None] = {}

    def get(self, rule_id: str, key: str) -> StoredState | None:
        name = table_key(rule_id, key)
        if name in self._changes:
            encoded = self._changes[name]
            return None if encoded is None else orjson.loads(encoded)
        return self._table.get(name)

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        self._changes[table_key(rule_id, key)] = bytes(
            memoryview(encoded)
        )  # orjson's buffer, cut to size

    def delete(self, rule_id: str, key: str) -> None:
        self._changes[table_key(rule_id, key)] = DELETED

    def items(self) -> Iterator[tuple[str, str, StoredState]]:
        """Every entry of an owned partition, this batch's writes included; streamed, since
        the table may hold more than fits in memory at once."""
        changes = self._changes
        stored = ((name, value) for name, value in self._table.items() if name not in changes)
        written = (
            (name, orjson.loads(encoded))
            for name, encoded in changes.items()
            if encoded is not DELETED
        )
        for name, value in itertools.chain(stored, written):
            rule_id, key = split_table_key(name)
            if self._owns(key):
                yield rule_id, key, value

    def take_changes(self) -> dict[str, bytes | None]:
        """The keys written since the last call as JSON (None = deleted), in write order; clears
        the buffer."""
        changes, self._changes = self._changes, {}
        return changes
