"""Where accepted event ids are remembered, so a re-sent event is answered "duplicate".

Ids are written only after Kafka acknowledged the event. A crash between the
acknowledgement and this write lets a re-send be published once more: delivery is
at-least-once and downstream consumers deduplicate by event id. Two concurrent
requests carrying the same new id can likewise both publish it (and both remember it:
the table may then hold the id twice, which changes no answer).

The table is created by the ingest migrations (`qinglian db upgrade`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
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


class SqlDedupStore:
    """One SQL statement per batch and per direction, whatever the batch size.

    On PostgreSQL the ids travel as one text parameter, split in SQL. A bind parameter
    per id (``IN``) and ``executemany`` (a row at a time) cost 11 µs of the push API's
    CPU per event, a tenth of it; one array 4, one text 2. SQLite, for quick starts and
    tests, keeps the plain forms.
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _SUPPORTED:
            raise ValueError(
                f"the dedup store supports PostgreSQL and SQLite, not {engine.dialect.name}"
            )
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"

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
            connect_args["options"] = " ".join(filter(None, [url.query.get("options"), "-c jit=off"]))
        return cls(sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args))

    def close(self) -> None:
        self._engine.dispose()

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        if not event_ids:
            return set()
        query = self._stored_among(source_id, list(set(event_ids)))
        try:
            with self._engine.connect() as connection:
                return set(connection.scalars(query))
        except SQLAlchemyError as exc:
            raise StorageUnavailable(
                f"去重库不可用 / the dedup database is unavailable: {exc.__class__.__name__}"
            ) from exc

    def remember(self, source_id: str, event_ids: Collection[str], stored_at: datetime) -> None:
        if not event_ids:
            return
        statement, rows = self._insert(source_id, list(set(event_ids)), stored_at)
        try:
            with self._engine.begin() as connection:
                connection.execute(statement, rows)
        except SQLAlchemyError as exc:
            raise StorageUnavailable(
                f"去重库不可用 / the dedup database is unavailable: {exc.__class__.__name__}"
            ) from exc

    def _stored_among(self, source_id: str, event_ids: list[str]) -> sa.Select[tuple[str]]:
        """Which of ``event_ids`` the table holds for ``source_id``.

        On PostgreSQL one index probe per received id (a LATERAL lookup with LIMIT, which the
        planner cannot turn into a hash join): ``event_id = ANY(...)`` let it scan every id of
        the source while the table's statistics were stale, some 9 ms a batch at 60,000 stored
        ids and 33 ms at 200,000, growing with the table.
        """
        if not self._postgresql:
            return sa.select(ingest_dedup.c.event_id).where(
                ingest_dedup.c.source_id == source_id, ingest_dedup.c.event_id.in_(event_ids)
            )
        received = (
            sa.func.unnest(_id_list(event_ids)).table_valued("event_id").render_derived("received")
        )
        stored = (
            sa.select(sa.literal(1))
            .where(
                ingest_dedup.c.source_id == source_id,
                ingest_dedup.c.event_id == received.c.event_id,
            )
            .limit(1)
            .lateral("stored")
        )
        return sa.select(received.c.event_id).select_from(received.join(stored, sa.true()))

    def _insert(
        self, source_id: str, event_ids: list[str], stored_at: datetime
    ) -> tuple[sa.Insert, list[dict[str, object]] | None]:
        """The statement that adds the ids, and its rows if they travel separately."""
        if self._postgresql:
            rows = sa.select(
                sa.literal(source_id, sa.String),
                sa.func.unnest(_id_list(event_ids)),
                sa.literal(stored_at, sa.DateTime(timezone=True)),
            )
            return ingest_dedup.insert().from_select(["source_id", "event_id", "stored_at"], rows), None
        return ingest_dedup.insert(), [
            {"source_id": source_id, "event_id": event_id, "stored_at": stored_at}
            for event_id in event_ids
        ]


def _id_list(event_ids: list[str]) -> sa.ColumnElement[list[str]]:
    if any(_SEPARATOR in event_id for event_id in event_ids):
        raise ValueError("event ids reach the dedup store contract-checked, without commas")
    joined = sa.literal(_SEPARATOR.join(event_ids), sa.Text)
    return sa.func.string_to_array(joined, _SEPARATOR, type_=postgresql.ARRAY(sa.Text))


class InMemoryDedupStore:
    """The dedup store for tests and one-off runs; it forgets everything on exit."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], datetime] = {}

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        return {event_id for event_id in event_ids if (source_id, event_id) in self.ids}

    def remember(self, source_id: str, event_ids: Collection[str], stored_at: datetime) -> None:
        for event_id in event_ids:
            self.ids.setdefault((source_id, event_id), stored_at)
