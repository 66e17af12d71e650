"""The school system's side of a staging database (前置库): tables shaped by the connectors file, rows from events.

The simulator and the tests write here what a school's canteen, procurement,
enrollment or finance system would export; a ``StagingDatabaseConnector`` with the
same ``TableSpec`` then pulls the events back out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.ingest.connectors.domain.mapping import to_record
from services.ingest.connectors.domain.spec import TableSpec

# Converter → column type: what a typical 前置库 table declares for such a column.
COLUMN_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "yuan_to_fen": lambda: sa.Numeric(14, 2),
    "integer": sa.BigInteger,
    "decimal": lambda: sa.Numeric(18, 6),
    "local_time": sa.DateTime,
    "date": sa.Date,
    "boolean": sa.Boolean,
}


def staging_row(
    spec: TableSpec, event: Mapping[str, Any], *, updated_at: datetime
) -> dict[str, Any]:
    """The row a school system writes for an event (the inverse of the table's mapping), stamped ``updated_at``."""
    return {**to_record(spec.mapping, event), spec.updated_at: updated_at}


class StagingWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tables: dict[str, sa.Table] = {}

    def create_table(self, spec: TableSpec) -> sa.Table:
        """The table (created if missing): the primary key, ``updated_at`` and every mapped column."""
        rules = spec.mapping.column_rules()
        key_type = (
            COLUMN_TYPES.get(rules[spec.primary_key].converter.name, sa.Text)()
            if spec.primary_key in rules
            else None
        )
        columns = [
            sa.Column(spec.primary_key, key_type, primary_key=True)
            if key_type is not None
            else sa.Column(spec.primary_key, sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(spec.updated_at, sa.DateTime, nullable=False),
            *(
                sa.Column(name, COLUMN_TYPES.get(rule.converter.name, sa.Text)())
                for name, rule in rules.items()
                if name not in (spec.primary_key, spec.updated_at)
            ),
        ]
        table = sa.Table(
            spec.table,
            sa.MetaData(),
            *columns,
            sa.Index(f"ix_{spec.table}_watermark", spec.updated_at, spec.primary_key),
            schema=spec.schema,
        )
        table.create(self.engine, checkfirst=True)
        self._tables[spec.stream] = table
        return table

    def write(
        self, spec: TableSpec, events: Iterable[Mapping[str, Any]], *, updated_at: datetime
    ) -> int:
        """Insert one row per event, all stamped ``updated_at`` (local time, naive, as 前置库 columns are)."""
        return self.insert_rows(
            spec, [staging_row(spec, event, updated_at=updated_at) for event in events]
        )

    def insert_rows(self, spec: TableSpec, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows as given (for rows no valid event produces: typos, missing values)."""
        if not rows:
            return 0
        table = (
            self._tables[spec.stream] if spec.stream in self._tables else self.create_table(spec)
        )
        with self.engine.begin() as connection:
            connection.execute(table.insert(), [dict(row) for row in rows])
        return len(rows)
