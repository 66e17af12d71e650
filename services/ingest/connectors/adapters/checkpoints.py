"""Where connectors keep their checkpoints: the ``connector_checkpoints`` table in Qinglian's database.

One row per (connector, stream). Dropped files are streams too (``file:<sha256>``),
so a file's content hash is remembered and the file is never processed twice.

The table is defined here and created by the ingest migrations
(``services/ingest/adapters/migrations``, `qinglian db upgrade`). Times are stored
in UTC and always come back aware.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.ingest.connectors.domain.checkpoint import Checkpoint, SavedCheckpoint
from services.ingest.connectors.errors import CheckpointUnavailable

metadata = sa.MetaData()

connector_checkpoints = sa.Table(
    "connector_checkpoints",
    metadata,
    sa.Column("connector_id", sa.String(128), primary_key=True),
    sa.Column("stream", sa.String(512), primary_key=True),
    sa.Column("position", sa.JSON, nullable=False),
    sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    comment="Pull connectors: how far each connector got in each stream (table, resource, dropped file).",
)

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SqlCheckpointStore:
    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _INSERTS:
            raise ValueError(
                f"the checkpoint store supports PostgreSQL and SQLite, not {engine.dialect.name}"
            )
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]

    def load(self, connector_id: str) -> dict[str, Checkpoint]:
        query = sa.select(connector_checkpoints).where(
            connector_checkpoints.c.connector_id == connector_id
        )
        return {saved.checkpoint.stream: saved.checkpoint for saved in self._select(query)}

    def load_stream(self, connector_id: str, stream: str) -> Checkpoint | None:
        query = sa.select(connector_checkpoints).where(
            connector_checkpoints.c.connector_id == connector_id,
            connector_checkpoints.c.stream == stream,
        )
        found = self._select(query)
        return found[0].checkpoint if found else None

    def saved(self) -> list[SavedCheckpoint]:
        query = sa.select(connector_checkpoints).order_by(
            connector_checkpoints.c.connector_id, connector_checkpoints.c.stream
        )
        return self._select(query)

    def save(self, connector_id: str, checkpoint: Checkpoint, saved_at: datetime) -> None:
        values = {
            "connector_id": connector_id,
            "stream": checkpoint.stream,
            "position": dict(checkpoint.position),
            "watermark": _utc(checkpoint.watermark),
            "saved_at": _utc(saved_at),
        }
        statement = self._insert(connector_checkpoints).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["connector_id", "stream"],
            set_={name: statement.excluded[name] for name in ("position", "watermark", "saved_at")},
        )
        with _translated("saving a checkpoint"), self._engine.begin() as connection:
            connection.execute(statement)

    def _select(self, query: sa.Select[tuple[object, ...]]) -> list[SavedCheckpoint]:
        with _translated("reading checkpoints"), self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_saved(row) for row in rows]


class InMemoryCheckpointStore:
    """Checkpoints for tests and one-off runs; forgotten on exit."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], SavedCheckpoint] = {}

    def load(self, connector_id: str) -> dict[str, Checkpoint]:
        return {
            stream: s.checkpoint
            for (owner, stream), s in self.rows.items()
            if owner == connector_id
        }

    def load_stream(self, connector_id: str, stream: str) -> Checkpoint | None:
        saved = self.rows.get((connector_id, stream))
        return saved.checkpoint if saved else None

    def saved(self) -> list[SavedCheckpoint]:
        return [self.rows[key] for key in sorted(self.rows)]

    def save(self, connector_id: str, checkpoint: Checkpoint, saved_at: datetime) -> None:
        self.rows[(connector_id, checkpoint.stream)] = SavedCheckpoint(
            connector_id, checkpoint, saved_at
        )


@contextmanager
def _translated(doing: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise CheckpointUnavailable(
            f"检查点库不可用 / the checkpoint database is unavailable ({doing}): {exc.__class__.__name__}; "
            "check QINGLIAN_DATABASE_URL"
        ) from exc


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored in UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _saved(row: Mapping[str, object]) -> SavedCheckpoint:
    checkpoint = Checkpoint(
        stream=str(row["stream"]),
        position=row["position"],  # type: ignore[arg-type]
        watermark=_aware(row["watermark"]),  # type: ignore[arg-type]
    )
    return SavedCheckpoint(str(row["connector_id"]), checkpoint, _aware(row["saved_at"]))  # type: ignore[arg-type]
