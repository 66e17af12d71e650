"""Where accepted event ids are remembered, so a re-sent event is answered "duplicate".

A batch's ids are *claimed* before publishing and *kept* once Kafka acknowledged them. On
PostgreSQL the claim is one statement that inserts the ids not stored before and returns
them, in a transaction that commits only at ``keep``: a crash or a refused write before it
leaves nothing remembered. It runs on a thread of the store's own while the caller
pseudonymizes the batch. A crash between Kafka's acknowledgement and the commit lets a
re-send be published once more: delivery is at-least-once and downstream consumers
deduplicate by event id. Two concurrent requests carrying the same new id can likewise both
publish it (and both keep it: the table may then hold the id twice, which changes no answer).

The table is created by the ingest migrations (`qinglian db upgrade`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from services.ingest.errors import StorageUnavailable

metadata = sa.MetaData()

# No primary key: a unique B-tree over (source, random event id) cost PostgreSQL 4.5 ms of CPU
# per batch of 500 ids (look-up, then insert with ON CONFLICT) at a million stored ids, a hash
# index on the event id 1.4 ms. Uniqueness is not needed: ids are remembered only once they
# were not seen, and a second row for an id changes no answer.
ingest_dedup = sa.Table(
    "ingest_dedup",
    metadata,
    sa.Column("source_id", sa.String(128), nullable=False),
    sa.Column("event_id", sa.String(256), nullable=False),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_ingest_dedup_event_id", "event_id", postgresql_using="hash"),
    comment="Event ids (per source) already stored in Kafka by the ingest service.",
)

# Event ids are contract-checked (no comma in them) before they get here: the batch's ids travel
# as one comma-separated text, which psycopg passes in half the CPU of an array of 500 strings.
_SEPARATOR = ","
_SUPPORTED = frozenset({"postgresql", "sqlite"})
# Claims wait on PostgreSQL, not on the CPU: as many as the engine's pool holds connections.
_CLAIM_THREADS = 15


class SqlDedupStore:
    """On PostgreSQL one statement per batch, whatever its size, and a commit.

    The ids travel as one text parameter, split in SQL. A bind parameter per id (``IN``)
    and ``executemany`` (a row at a time) cost 11 µs of the push API's CPU per event, a
    tenth of it; one array 4, one text 2. Looking the ids up and inserting them in one
    statement instead of two saves a round trip and a second index probe per id.

    SQLite, for quick starts and tests, looks up at the claim and inserts at ``keep`` in
    plain statements: a transaction held open over the publishing would lock out every
    other writer meanwhile.
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _SUPPORTED:
            raise ValueError(
                f"the dedup store supports PostgreSQL and SQLite, not {engine.dialect.name}"
            )
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._claims = ThreadPoolExecutor(_CLAIM_THREADS, thread_name_prefix="qinglian-dedup-claim")

    @classmethod
    def connect(cls, database_url: str) -> SqlDedupStore:
        """The store on an engine of its own; on PostgreSQL its sessions never JIT-compile.

        Without ANALYZE since the last batches, the planner prices the look-up by the table's
        size: past some 150,000 stored ids it crossed ``jit_above_cost`` and every look-up of
        0.6 ms spent 2 ms more compiling itself (measured; the push benchmark's PostgreSQL CPU
        per event came from there).
        """
        url = sa.make_url(database_url)
        connect_args: dict[str, str] = {}
        if url.get_backend_name() == "postgresql":
            connect_args["options"] = " ".join(
                filter(None, [url.query.get("options"), "-c jit=off"])
            )
        return cls(sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args))

    def close(self) -> None:
        self._claims.shutdown()
        self._engine.dispose()

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        """Which of ``event_ids`` are stored: the claim's look-up on SQLite, a query elsewhere."""
        if not event_ids:
            return set()
        query = sa.select(ingest_dedup.c.event_id).where(
            ingest_dedup.c.source_id == source_id, ingest_dedup.c.event_id.in_(set(event_ids))
        )
        with _unavailable_as_storage_error(), self._engine.connect() as connection:
            return set(connection.scalars(query))

    @contextmanager
    def claim(
        self, source_id: str, event_ids: Collection[str], stored_at: datetime
    ) -> Iterator[PendingInsert | LookedUp]:
        ids = set(event_ids)
        if not (self._postgresql and ids):
            remember = functools.partial(self._remember, source_id, stored_at=stored_at)
            yield LookedUp(self.seen(source_id, ids), remember)
            return
        pending = PendingInsert(self._engine, self._claims, source_id, ids, stored_at)
        try:
            yield pending
        finally:
            pending.close()

    def _remember(self, source_id: str, event_ids: Collection[str], stored_at: datetime) -> None:
        """SQLite's ``keep``: the rows in plain form (PostgreSQL's claims insert theirs themselves)."""
        rows = [
            {"source_id": source_id, "event_id": event_id, "stored_at": stored_at}
            for event_id in set(event_ids)
        ]
        if rows:
            with _unavailable_as_storage_error(), self._engine.begin() as connection:
                connection.execute(ingest_dedup.insert(), rows)


# PostgreSQL's statements are built once: building one per call (binding the values as literals)
# cost the push API 1–1.5 ms of CPU a batch, more than executing it.
_SOURCE = sa.bindparam("source_id", type_=sa.String)
_STORED_AT = sa.bindparam("stored_at", type_=sa.DateTime(timezone=True))
_RECEIVED = (
    sa.func.unnest(
        sa.func.string_to_array(
            sa.bindparam("event_ids", type_=sa.Text), _SEPARATOR, type_=postgresql.ARRAY(sa.Text)
        )
    )
    .table_valued("event_id")
    .render_derived("received")
)
# One index probe per received id (LATERAL with LIMIT, which the planner cannot turn into a hash
# join): ``event_id = ANY(...)`` let it scan every id of the source while the table's statistics
# were stale, some 9 ms a batch at 60,000 stored ids and 33 ms at 200,000, growing with the table.
_STORED = (
    sa.select(sa.literal(1).label("hit"))
    .where(ingest_dedup.c.source_id == _SOURCE, ingest_dedup.c.event_id == _RECEIVED.c.event_id)
    .limit(1)
    .lateral("stored")
)
_COLUMNS = ["source_id", "event_id", "stored_at"]
_INSERT_NEW = (
    ingest_dedup.insert()
    .from_select(
        _COLUMNS,
        sa.select(_SOURCE, _RECEIVED.c.event_id, _STORED_AT)
        .select_from(_RECEIVED.outerjoin(_STORED, sa.true()))
        .where(_STORED.c.hit.is_(None)),
    )
    .returning(ingest_dedup.c.event_id)
)
"""Inserts the received ids the source has not stored before, and returns them."""
_INSERT_ALL = ingest_dedup.insert().from_select(
    _COLUMNS, sa.select(_SOURCE, _RECEIVED.c.event_id, _STORED_AT)
)


def _parameters(source_id: str, event_ids: set[str], stored_at: datetime) -> dict[str, object]:
    if any(_SEPARATOR in event_id for event_id in event_ids):
        raise ValueError("event ids reach the dedup store contract-checked, without commas")
    return {"source_id": source_id, "event_ids": _SEPARATOR.join(event_ids), "stored_at": stored_at}


@contextmanager
def _unavailable_as_storage_error() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageUnavailable(
            f"去重库不可用 / the dedup database is unavailable: {exc.__class__.__name__}"
        ) from exc


class PendingInsert:
    """A PostgreSQL claim: the new ids are inserted at once, on a claim thread, and committed
    by ``keep``; ``close`` rolls back whatever was not committed."""

    def __init__(
        self,
        engine: Engine,
        threads: ThreadPoolExecutor,
        source_id: str,
        event_ids: Collection[str],
        stored_at: datetime,
    ) -> None:
        self._engine = engine
        self._claimed = set(event_ids)
        self._parameters = _parameters(source_id, self._claimed, stored_at)
        self._connection: Connection | None = None
        self._inserted: Future[set[str]] = threads.submit(self._insert)

    def _insert(self) -> set[str]:
        self._connection = self._engine.connect()
        return set(self._connection.scalars(_INSERT_NEW, self._parameters))

    def stored_before(self) -> set[str]:
        with _unavailable_as_storage_error():
            return self._claimed - self._inserted.result()

    def keep(self, event_ids: Collection[str]) -> None:
        kept = set(event_ids)
        with _unavailable_as_storage_error():
            inserted = self._inserted.result()
            connection = self._connection
            assert connection is not None, "set by the insert that returned"
            if kept != inserted:
                # Rare (Kafka acknowledged part of the batch): the other rows may not stay, and a
                # DELETE could also hit a concurrent batch's row of the same id. On the same
                # connection: a second one could wait on a pool that claims have emptied.
                connection.rollback()
                if kept:
                    kept_only = {**self._parameters, "event_ids": _SEPARATOR.join(kept)}
                    connection.execute(_INSERT_ALL, kept_only)
            connection.commit()

    def close(self) -> None:
        # The insert may still run (the caller failed before asking for its answer): its
        # connection is closed, and what it did rolled back, only once it is done.
        self._inserted.exception()
        if self._connection is not None:
            self._connection.close()


class LookedUp:
    """A claim whose look-up is done at once and whose ``keep`` inserts (SQLite, memory)."""

    def __init__(
        self, stored_before: set[str], remember: Callable[[Collection[str]], None]
    ) -> None:
        self._stored_before = stored_before
        self._remember = remember

    def stored_before(self) -> set[str]:
        return self._stored_before

    def keep(self, event_ids: Collection[str]) -> None:
        self._remember(event_ids)


class InMemoryDedupStore:
    """The dedup store for tests and one-off runs; it forgets everything on exit."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], datetime] = {}

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        return {event_id for event_id in event_ids if (source_id, event_id) in self.ids}

    @contextmanager
    def claim(
        self, source_id: str, event_ids: Collection[str], stored_at: datetime
    ) -> Iterator[LookedUp]:
        def remember(kept: Collection[str]) -> None:
            for event_id in kept:
                self.ids.setdefault((source_id, event_id), stored_at)

        yield LookedUp(self.seen(source_id, event_ids), remember)
