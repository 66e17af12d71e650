"""Alembic environment of the ingest service's tables: ``ingest_dedup`` and ``connector_checkpoints``.

The ingest service keeps its own migration history (version table
``alembic_version_ingest``) in the project's database, beside the alerting
service's: `qinglian db upgrade` runs both. The URL comes from
``config.attributes["database_url"]`` (set by ``adapters.migrator``). Only the
ingest tables are compared: the other services' tables in the same database are
left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from qinglian.migrations import run_migrations
from services.ingest.adapters.dedup_store import metadata as dedup_metadata
from services.ingest.adapters.migrator import VERSION_TABLE
from services.ingest.connectors.adapters.checkpoints import metadata as checkpoint_metadata

run_migrations(
    context,
    sa.create_engine(context.config.attributes["database_url"]),
    [dedup_metadata, checkpoint_metadata],
    version_table=VERSION_TABLE,
)
