"""Alembic environment of the ingest service's tables: ``ingest_dedup`` and ``connector_checkpoints``.

The ingest service keeps its own migration history (version table
``alembic_version_ingest``) in the project's database, beside the alerting
service's: `qinglian db upgrade` runs both. The URL comes from
``config.attributes["database_url"]`` (set by ``adapters.migrator``). Only the
ingest tables are compared: the other services' tables in the same database are
left alone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from services.ingest.adapters.dedup_store import metadata as dedup_metadata
from services.ingest.adapters.migrator import VERSION_TABLE
from services.ingest.connectors.adapters.checkpoints import metadata as checkpoint_metadata

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations() -> None:
    engine = sa.create_engine(config.attributes["database_url"])
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=[dedup_metadata, checkpoint_metadata],
                version_table=VERSION_TABLE,
                include_object=_include_object,
                compare_type=True,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
