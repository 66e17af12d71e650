"""Where accepted event ids are remembered, so a re-sent event is answered "duplicate".

Ids are written only after Kafka acknowledged the event. A crash between the
acknowledgement and this write lets a re-send be published once more: delivery is
at-least-once and downstream consumers deduplicate by event id. Two concurrent
requests carrying the same new id can likewise both publish it.

The table is created by the ingest migrations (`qinglian db upgrade`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.ingest.errors import StorageUnavailable

metadata = sa.MetaData()

ingest_dedup = sa.Table(
    "ingest_dedup",
    metadata,
    sa.Column("source_id", sa.String(128), primary_key=True),
    sa.Column("event_id", sa.String(256), primary_key=True),
    sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    comment="Event ids (per source) already stored in Kafka by the ingest service.",
)

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SqlDedupStore:
    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _INSERTS:
            raise ValueError(
                f"the dedup store supports PostgreSQL and SQLite, not {engine.dialect.name}"
            )
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        if not event_ids:
            return set()
        query = sa.select(ingest_dedup.c.event_id).where(
            ingest_dedup.c.source_id == source_id, ingest_dedup.c.event_id.in_(list(set(event_ids)))
        )
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
        rows = [
            {"source_id": source_id, "event_id": event_id, "stored_at": stored_at}
            for event_id in set(event_ids)
        ]
        statement = self._insert(ingest_dedup).on_conflict_do_nothing(
            index_elements=["source_id", "event_id"]
        )
        try:
            with self._engine.begin() as connection:
                connection.execute(statement, rows)
        except SQLAlchemyError as exc:
            raise StorageUnavailable(
                f"去重库不可用 / the dedup database is unavailable: {exc.__class__.__name__}"
            ) from exc


class InMemoryDedupStore:
    """The dedup store for tests and one-off runs; it forgets everything on exit."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], datetime] = {}

    def seen(self, source_id: str, event_ids: Collection[str]) -> set[str]:
        return {event_id for event_id in event_ids if (source_id, event_id) in self.ids}

    def remember(self, source_id: str, event_ids: Collection[str], stored_at: datetime) -> None:
        for event_id in event_ids:
            self.ids.setdefault((source_id, event_id), stored_at)
