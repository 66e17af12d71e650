"""Alembic environment of the case database.

The URL comes from ``config.attributes["database_url"]`` (set by
``adapters.migrator``), else from ``qinglian.settings.load_settings()``. Only
the alerting service's tables are compared: other services may keep tables in
the same database.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from qinglian.settings import load_settings
from services.alerting.adapters.database import create_database_engine
from services.alerting.adapters.orm import ModelBase

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations() -> None:
    url = config.attributes.get("database_url") or load_settings().database_url
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=ModelBase.metadata,
                include_object=_include_object,
                compare_type=True,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
