from __future__ import annotations

import rocksdict

from services.detectors.runtime.rocks import write_in_batches


class CountedWrites:
    """A RocksDB database that counts the write batches it was given."""

    def __init__(self, db: rocksdict.Rdict) -> None:
        self.db = db
        self.batches = 0

    def write(self, batch: rocksdict.WriteBatch) -> None:
        self.batches += 1
        self.db.write(batch)


def test_a_partitions_writes_reach_rocksdb_in_batches_of_the_given_size(tmp_path):
    db = rocksdict.Rdict(str(tmp_path / "db"), options=rocksdict.Options(raw_mode=True))
    db[b"old"] = b"gone soon"
    counted = CountedWrites(db)
    writes = [(b"k%04d" % n, b"v" * 1000) for n in range(1000)]
    write_in_batches(
        counted, [*writes, (b"old", None), (b"k0000", b"last write wins")], batch_bytes=100_000
    )
    assert counted.batches == 11  # ten full batches of 100 entries, then the rest
    assert db.get(b"old") is None
    assert db[b"k0000"] == b"last write wins"
    assert db[b"k0999"] == b"v" * 1000
    db.close()


def test_no_writes_no_write_batch(tmp_path):
    db = rocksdict.Rdict(str(tmp_path / "db"), options=rocksdict.Options(raw_mode=True))
    counted = CountedWrites(db)
    write_in_batches(counted, [])
    assert counted.batches == 0
    db.close()
