"""Alembic environment of the case database.

The URL comes from ``config.attributes["database_url"]`` (set by
``adapters.migrator``), else from ``qinglian.settings.load_settings()``. Only
the alerting service's tables are compared: other services may keep tables in
the same database.
"""

from __future__ import annotations

from alembic import context

from qinglian.migrations import run_migrations
from qinglian.settings import load_settings
from services.alerting.adapters.database import create_database_engine
from services.alerting.adapters.migrator import HISTORY
from services.alerting.adapters.orm import ModelBase

url = context.config.attributes.get("database_url") or load_settings().database_url
run_migrations(
    context, create_database_engine(url), ModelBase.metadata, version_table=HISTORY.version_table
)
