"""A staging-database connector's source: the school platform's 前置库 tables, filled by its hourly sync.

Rows are written with the connectors' own writer (``staging_row`` and
``StagingWriter``), one table per ``TableSpec``, created when missing. Each row's
``updated_at`` is its event's local time. Pending rows are inserted in one
transaction when the simulated hour changes, so every row of a later
transaction has a later ``updated_at``: the connector's (updated_at, pk)
watermark never passes a row that is not yet committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from services.ingest.connectors.domain.spec import StagingSpec, TableSpec
from services.ingest.connectors.writers.staging import StagingWriter, staging_row
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.routes import check_key, hour_of


def staging_routes(spec: StagingSpec) -> list[StagingRoute]:
    """One route per table, its table created; raises SinkError when one cannot be fed."""
    connector_id = spec.common.connector_id
    for table in spec.tables:
        check_key(connector_id, f"table {table.stream}", table.mapping)
    writer = StagingWriter(sa.create_engine(spec.url))
    with _translated(connector_id):
        for table in spec.tables:
            writer.create_table(table)
    return [StagingRoute(connector_id, spec.common.zone, table, writer) for table in spec.tables]


class StagingRoute:
    def __init__(
        self, connector_id: str, zone: ZoneInfo, table: TableSpec, writer: StagingWriter
    ) -> None:
        self.connector_id = connector_id
        self.event_types = (table.mapping.event_type,)
        self.table = table
        self._zone = zone
        self._writer = writer
        self._hour: datetime | None = None
        self._rows: list[dict[str, Any]] = []

    def take(self, simulated: SimulatedEvent) -> str:
        stamp = simulated.time.astimezone(self._zone).replace(
            tzinfo=None
        )  # 前置库 columns are local and naive
        row = staging_row(self.table, simulated.event, updated_at=stamp)
        self._rows.append(row)
        return self.table.record_id(self.connector_id, row)

    def advance(self, now: datetime) -> None:
        hour = hour_of(now)
        if self._hour is not None and hour > self._hour:
            self._insert()
        self._hour = hour

    def close(self) -> None:
        self._insert()
        self._writer.engine.dispose()

    def _insert(self) -> None:
        with _translated(self.connector_id):
            self._writer.insert_rows(self.table, self._rows)
        self._rows = []


@contextmanager
def _translated(connector_id: str) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise SinkError(
            f"无法写入前置库 / cannot write the staging database of connector '{connector_id}': "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
        ) from exc
