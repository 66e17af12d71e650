"""The detectors' table store: RocksDB on disk, each key in the database of its own partition.

State for a district's schools (students, invoices, prices, processes) does not fit a
worker's memory budget as Python objects, so the tables keep it in RocksDB (rocksdict),
one database per changelog partition as faust's own RocksDB store does, all of them within
one memory budget (``ROCKSDB_MEMORY_BYTES``). faust's store files a write under the partition of the event being
processed (``current_event()``), which suits an agent that updates its own key per
event; the batch runner instead writes every key a batch changed at once, so this store
routes each key itself, by the school id (or global key) at the head of the table key, or
the partition a clock declaration's key names — the same partition its changelog record
goes to (``partitioning.state_partition``).

A batch's writes land in RocksDB write batches of a few MB per partition, after the
changelog records were acknowledged, followed by the changelog offset they reach, so a
restarted worker recovers only the changelog written after that offset.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import rocksdict
from faust.stores import rocksdb
from faust.types import TP

from services.detectors.runtime.partitioning import state_partition
from services.detectors.runtime.store import split_table_key

STORE_URL = "qinglian-rocksdb://"
ROCKSDB_MEMORY_BYTES = 48 * 1024**2
"""What RocksDB may hold in memory in one worker, all its partition databases together: one
block cache, which also holds their index and filter blocks and is charged for their memtables.
Without it every database has its own (faust's defaults: 64 MB memtables ×3 and a 2 GB cache)
and index blocks grow with the state, outside any cache."""
MEMTABLE_BYTES = 16 * 1024**2
"""Of that, the memtables' share: when they reach it, the largest is flushed to disk."""
MAX_OPEN_FILES = 256
WRITE_BATCH_BYTES = 2 * 1024**2
"""A partition's writes reach RocksDB in write batches of about this size. A write batch
lands in one memtable whole, beyond any memtable limit: a batch whose timers fired for every
school, written at once, was a worker's largest allocation (memray, 1,000 schools: 45 MB of
memtable and 18 MB of write batch)."""
ROCKSDB_OPTIONS = {
    "write_buffer_size": 1024**2,
    "max_write_buffer_number": 2,
    "target_file_size_base": 16 * 1024**2,
}


@functools.cache
def _shared_memory() -> tuple[rocksdict.Cache, rocksdict.WriteBufferManager]:
    cache = rocksdict.Cache(ROCKSDB_MEMORY_BYTES)
    return cache, rocksdict.WriteBufferManager.new_write_buffer_manager_with_cache(
        MEMTABLE_BYTES, False, cache
    )


def write_in_batches(
    db: rocksdict.Rdict,
    writes: Iterable[tuple[bytes, bytes | None]],
    batch_bytes: int = WRITE_BATCH_BYTES,
) -> None:
    """Apply serialized writes ``(key, value)`` (None deletes) in order, ``batch_bytes`` at a time."""
    batch, size = rocksdict.WriteBatch(raw_mode=True), 0
    for key, value in writes:
        if value is None:
            batch.delete(key)
        else:
            batch.put(key, value)
        size += len(key) + len(value or b"")
        if size >= batch_bytes:
            db.write(batch)
            batch, size = rocksdict.WriteBatch(raw_mode=True), 0
    if size:
        db.write(batch)


class SharedMemoryOptions(rocksdb.RocksDBOptions):
    """faust's options for one partition database, drawing on the worker's shared memory budget."""

    def as_options(self) -> rocksdict.Options:
        cache, memtables = _shared_memory()
        options = rocksdict.Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_max_open_files(MAX_OPEN_FILES)
        options.set_write_buffer_size(self.write_buffer_size)
        options.set_max_write_buffer_number(self.max_write_buffer_number)
        options.set_target_file_size_base(self.target_file_size_base)
        options.set_write_buffer_manager(memtables)
        table = rocksdict.BlockBasedOptions()
        table.set_bloom_filter(self.bloom_filter_size, True)
        table.set_block_cache(cache)
        table.set_cache_index_and_filter_blocks(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        table.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        options.set_block_based_table_factory(table)
        return options


class KeyRoutedRocksStore(rocksdb.Store):
    def __init__(self, *args: Any, options: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        settings = {**ROCKSDB_OPTIONS, **(options or {})}
        super().__init__(*args, options=dict(settings), driver="rocksdict", **kwargs)
        self.rocksdb_options = SharedMemoryOptions(**settings, use_rocksdict=True)

    def partition_of(self, key: bytes) -> int:
        """The partition of a serialized table key (a JSON string ``"<rule id>|<state key>"``)."""
        return self._partition_of_name(orjson.loads(key))

    def _partition_of_name(self, name: str) -> int:
        return state_partition(split_table_key(name)[1], self.table.partitions)

    def write(
        self, changes: Iterable[tuple[int, bytes, bytes | None]], offsets: Mapping[int, int]
    ) -> None:
        """Apply serialized writes ``(partition, key, value)`` (None deletes) and remember the
        changelog offset each partition reached (after its writes: a worker stopped in between
        recovers them from the changelog again)."""
        by_partition: defaultdict[int, list[tuple[bytes, bytes | None]]] = defaultdict(list)
        for partition, key, value in changes:
            by_partition[partition].append((key, value))
        for partition, writes in by_partition.items():
            write_in_batches(self._db_for_partition(partition), writes)
        topic = self.table.changelog_topic.get_topic_name()
        for partition, offset in offsets.items():
            self.set_persisted_offset(TP(topic, partition), offset)

    def get(self, key: str, default: Any = None) -> Any:
        """A table entry by its key, decoded; the engine reads several per event, so this skips
        faust's codec registry (the same JSON both ways: faust serializes with orjson too)."""
        db = self._dbs.get(self._partition_of_name(key))
        value = None if db is None else db.get(orjson.dumps(key))
        return default if value is None else orjson.loads(value)

    def _set(self, key: bytes, value: bytes | None) -> None:
        self._db_for_partition(self.partition_of(key)).put(key, value)

    def _get(self, key: bytes) -> bytes | None:
        db = self._dbs.get(self.partition_of(key))
        return None if db is None else db.get(key)

    def _del(self, key: bytes) -> None:
        db = self._dbs.get(self.partition_of(key))
        if db is not None:
            db.delete(key)

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None


def register_store() -> None:
    """Make ``STORE_URL`` name this store for faust (its registry of store URLs)."""
    from faust import stores

    stores.STORES.aliases["qinglian-rocksdb"] = f"{__name__}:KeyRoutedRocksStore"
