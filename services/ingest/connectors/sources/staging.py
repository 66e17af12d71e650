"""Staging database (前置库): incremental pull of each configured table by an (updated_at, pk) watermark.

Each batch is the query

    SELECT * FROM t
    WHERE updated_at > :ts OR (updated_at = :ts AND pk > :pk)
    ORDER BY updated_at, pk LIMIT :n

written without row values so it runs on every database a 前置库 may be (SQLite,
PostgreSQL, MySQL, Oracle, 达梦). Rows sharing a timestamp across a batch boundary
are neither skipped nor read twice.

What a watermark cannot see: a row whose ``updated_at`` is set earlier than rows
already pulled (a long transaction committing late, a clock set back), and rows
with a NULL ``updated_at``. The source system must stamp ``updated_at`` at commit
time; index (updated_at, pk) for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from services.ingest.connectors.domain.checkpoint import Batch, Checkpoint, Watermark
from services.ingest.connectors.domain.mapping import to_event
from services.ingest.connectors.domain.spec import StagingSpec, TableSpec, event_types
from services.ingest.connectors.errors import SourceRefused, SourceUnavailable
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.connectors.sources.base import BaseConnector

EngineFactory = Callable[[str], Engine]


def _default_engine(url: str) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True)


class StagingDatabaseConnector(BaseConnector):
    def __init__(
        self,
        spec: StagingSpec,
        *,
        engine_factory: EngineFactory = _default_engine,
        **callbacks: Any,
    ) -> None:
        super().__init__(spec.common, event_types(spec), **callbacks)
        self.spec = spec
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._tables: dict[str, sa.Table] = {}

    def connect(self) -> None:
        engine = self._engine_factory(self.spec.url)
        try:
            with engine.connect() as connection:
                self._tables = {
                    spec.stream: self._reflect(connection, spec) for spec in self.spec.tables
                }
        except SQLAlchemyError as exc:
            engine.dispose()
            raise SourceUnavailable(
                f"前置库无法连接 / connector '{self.connector_id}': the staging database is unreachable "
                f"({exc.__class__.__name__})"
            ) from exc
        except SourceRefused:
            engine.dispose()
            raise
        self._engine = engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]:
        saved = checkpoints.load(self.connector_id)
        for spec in self.spec.tables:
            checkpoint = saved.get(spec.stream)
            yield from self._table_batches(
                spec, Watermark.from_position(checkpoint.position) if checkpoint else None
            )

    def _table_batches(self, spec: TableSpec, watermark: Watermark | None) -> Iterator[Batch]:
        while True:
            rows = self._fetch(spec, watermark)
            if not rows:
                return
            last = rows[-1]
            watermark = Watermark(last[spec.updated_at], last[spec.primary_key])
            items: list[object] = [
                to_event(
                    spec.mapping,
                    row,
                    source=self.common.event_source,
                    event_id=spec.record_id(self.connector_id, row),
                )
                for row in rows
            ]
            checkpoint = Checkpoint(
                spec.stream, watermark.position(), self._aware(watermark.updated_at)
            )
            yield Batch(items, checkpoint, origins=[row[spec.primary_key] for row in rows])
            if len(rows) < self.common.batch_size:
                return

    def _fetch(self, spec: TableSpec, watermark: Watermark | None) -> list[Mapping[str, Any]]:
        table = self._tables[spec.stream]
        updated_at, key = table.c[spec.updated_at], table.c[spec.primary_key]
        query = (
            sa.select(table)
            .where(updated_at.is_not(None))
            .order_by(updated_at, key)
            .limit(self.common.batch_size)
        )
        if watermark is not None:
            query = query.where(
                sa.or_(
                    updated_at > watermark.updated_at,
                    sa.and_(updated_at == watermark.updated_at, key > watermark.key),
                )
            )
        assert self._engine is not None, "setup() connects before batches() runs"
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(query).mappings().all())
        except SQLAlchemyError as exc:
            raise SourceUnavailable(
                f"前置库查询失败 / connector '{self.connector_id}': reading {spec.stream} failed ({exc.__class__.__name__})"
            ) from exc

    def _reflect(self, connection: sa.Connection, spec: TableSpec) -> sa.Table:
        try:
            table = sa.Table(
                spec.table, sa.MetaData(), autoload_with=connection, schema=spec.schema
            )
        except NoSuchTableError:
            raise SourceRefused(
                f"前置库缺少表 / connector '{self.connector_id}': table {spec.stream} does not exist"
            ) from None
        missing = sorted(
            ({spec.primary_key, spec.updated_at} | spec.mapping.columns) - set(table.c.keys())
        )
        if missing:
            raise SourceRefused(
                f"前置库缺少字段 / connector '{self.connector_id}': table {spec.stream} has no column(s) "
                f"{', '.join(missing)}; fix the connectors file or the staging table"
            )
        return table

    def _aware(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=self.common.zone) if moment.tzinfo is None else moment
