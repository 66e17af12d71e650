"""Many new rows in one go: COPY on PostgreSQL, executemany elsewhere (SQLite).

COPY costs the server and the driver far less per row than one INSERT per row,
which is what turns a batch of alerts into cases at thousands per second. Values
pass through each column type's own bind processing first, so what COPY writes is
exactly what an INSERT would have written (UTC times, enum values, JSON text),
and driver errors are raised as the SQLAlchemy errors an INSERT would raise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` within the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), list(rows))
        return
    columns = [column for column in table.columns if column.name in rows[0]]
    processors = [(c.name, c.type.bind_processor(connection.dialect)) for c in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [process(row[n]) if process else row[n] for n, process in processors]
                )
    except psycopg.Error as exc:
        # Raised as SQLAlchemy raises it for an INSERT (IntegrityError, OperationalError, …), so
        # callers' handling, such as the consumer's retry of a concurrent write, is the same.
        raise sa.exc.DBAPIError.instance(
            statement.as_string(driver), None, exc, psycopg.Error, dialect=connection.dialect
        ) from exc
