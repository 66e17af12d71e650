"""The dedup store on a real database: a push batch claimed and kept as a whole, on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from qinglian.settings import Settings
from qinglian.stack import postgres
from services.ingest.adapters import migrator
from services.ingest.adapters.dedup_store import SqlDedupStore
from services.ingest.errors import StorageUnavailable

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def postgresql_store(postgres_admin_url: str, settings: Settings) -> Iterator[SqlDedupStore]:
    with postgres.temporary_database(settings, prefix="qinglian_ingest_dedup") as url:
        migrator.upgrade(url)
        store = SqlDedupStore.connect(url)
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDedupStore]:
    if request.param == "postgresql":
        yield request.getfixturevalue("postgresql_store")
        return
    url = f"sqlite:///{tmp_path / 'dedup.db'}"
    migrator.upgrade(url)
    store = SqlDedupStore.connect(url)
    yield store
    store.close()


def remember(store: SqlDedupStore, source_id: str, event_ids: list[str]) -> None:
    with store.claim(source_id, event_ids, AT) as claim:
        claim.keep(set(event_ids) - claim.stored_before())


def test_a_batch_is_remembered_once_and_seen_per_source(store: SqlDedupStore) -> None:
    first = [f"e-{uuid.uuid4()}" for _ in range(500)]
    remember(store, "fuling-finance", first)
    again = [*first[:100], *first[:10]]  # re-sent ids, one of them twice: no conflict error
    later = [f"e-{uuid.uuid4()}" for _ in range(400)]
    with store.claim("fuling-finance", [*again, *later], AT) as claim:
        assert claim.stored_before() == set(first[:100])
        claim.keep(later)

    asked = [*first[:250], *later[:50], "never-sent"]
    assert store.seen("fuling-finance", asked) == set(first[:250]) | set(later[:50])
    assert store.seen("another-source", asked) == set()
    assert store.seen("fuling-finance", []) == set()
    with store.claim("fuling-finance", [], AT) as claim:
        assert claim.stored_before() == set()
        claim.keep([])


def test_claimed_ids_that_are_not_kept_are_forgotten(store: SqlDedupStore) -> None:
    """Kafka refused part of the batch, or the request failed before publishing: only what
    was kept is answered "duplicate" on a re-send."""
    ids = [f"e-{uuid.uuid4()}" for _ in range(6)]
    with store.claim("fuling-finance", ids, AT) as claim:
        assert claim.stored_before() == set()
        claim.keep(ids[:2])
    with pytest.raises(RuntimeError), store.claim("fuling-finance", ids[2:4], AT) as claim:
        assert claim.stored_before() == set()
        raise RuntimeError("the request failed before Kafka acknowledged anything")
    with store.claim("fuling-finance", ids, AT) as claim:
        assert claim.stored_before() == set(ids[:2])
    assert store.seen("fuling-finance", ids) == set(ids[:2])


def test_keeping_part_of_a_claim_needs_no_second_connection(
    postgresql_store: SqlDedupStore,
) -> None:
    """With every pooled connection held by a claim, keeping part of one must not wait for
    another connection (Kafka refusing part of many batches at once would stall them all)."""
    one_connection = SqlDedupStore(
        sa.create_engine(postgresql_store._engine.url, pool_size=1, max_overflow=0, pool_timeout=1)
    )
    ids = [f"e-{uuid.uuid4()}" for _ in range(4)]
    try:
        with one_connection.claim("fuling-finance", ids, AT) as claim:
            assert claim.stored_before() == set()
            claim.keep(ids[:1])
    finally:
        one_connection.close()
    assert postgresql_store.seen("fuling-finance", ids) == {ids[0]}


def test_a_claim_is_invisible_to_others_until_kept(postgresql_store: SqlDedupStore) -> None:
    """A crash between the claim and Kafka's acknowledgement must leave nothing behind that
    would make the re-send of a never-stored event a "duplicate"."""
    ids = [f"e-{uuid.uuid4()}" for _ in range(3)]
    with postgresql_store.claim("fuling-finance", ids, AT) as claim:
        assert claim.stored_before() == set()
        assert postgresql_store.seen("fuling-finance", ids) == set()
        claim.keep(ids)
        assert postgresql_store.seen("fuling-finance", ids) == set(ids)


def test_an_unreachable_database_is_storage_unavailable() -> None:
    url = "postgresql+psycopg://qinglian@127.0.0.1:9/nowhere?connect_timeout=1"
    store = SqlDedupStore.connect(url)
    try:
        with (
            store.claim("fuling-finance", ["e-1"], AT) as claim,
            pytest.raises(StorageUnavailable, match="dedup database is unavailable"),
        ):
            claim.stored_before()
    finally:
        store.close()


def test_postgresql_probes_the_index_per_received_id_however_large_the_table(
    postgresql_store: SqlDedupStore,
) -> None:
    """Looking up a batch must not read every id the source ever sent: with the table's
    statistics stale (never analyzed, as between autovacuum runs), ``= ANY`` got a bitmap
    scan over all of the source's rows."""
    store = postgresql_store
    engine = store._engine
    stored = [f"e-{uuid.uuid4()}" for _ in range(20_000)]
    for start in range(0, len(stored), 5_000):
        remember(store, "fuling-finance", stored[start : start + 5_000])
    executed: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        executed.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        asked = [*stored[:250], *(f"e-{uuid.uuid4()}" for _ in range(250))]
        with store.claim("fuling-finance", asked, AT) as claim:
            assert claim.stored_before() == set(stored[:250])
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = [(sql, params) for sql, params in executed if "INSERT" in sql]
    with engine.connect() as connection:
        [plan] = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
        ).scalar_one()
        connection.rollback()

    def nodes(node: dict) -> Iterator[dict]:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    table_reads = [
        node
        for node in nodes(plan["Plan"])
        if node.get("Relation Name") == "ingest_dedup" and node["Node Type"] != "ModifyTable"
    ]
    [read] = table_reads
    assert {node.get("Index Name") for node in nodes(read)} >= {"ix_ingest_dedup_event_id"}
    assert read["Actual Loops"] == len(asked), "one index probe per received id"
    examined = (
        read["Actual Rows"]
        + read.get("Rows Removed by Filter", 0)
        + read.get("Rows Removed by Index Recheck", 0)
    )
    assert examined * read["Actual Loops"] <= 250


def test_postgresql_sessions_never_jit_compile_and_keep_the_options_of_the_url(
    postgres_admin_url: str, settings: Settings
) -> None:
    """Past ~150,000 stored ids the planner JIT-compiled every look-up (2 ms on top of 0.6)."""
    with postgres.temporary_database(settings, prefix="qinglian_ingest_dedup") as url:
        store = SqlDedupStore.connect(f"{url}?options=-c%20statement_timeout%3D5000")
        try:
            with store._engine.connect() as connection:
                assert connection.exec_driver_sql("SHOW jit").scalar_one() == "off"
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar_one() == "5s"
        finally:
            store.close()


def test_an_id_with_the_separator_is_refused_not_split(postgresql_store: SqlDedupStore) -> None:
    """PostgreSQL gets the ids as one comma-separated text; the contract forbids commas in ids."""
    with (
        pytest.raises(ValueError, match="without commas"),
        postgresql_store.claim("fuling-finance", ["e-1,e-2"], AT),
    ):
        pass
