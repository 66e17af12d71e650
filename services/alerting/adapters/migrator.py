"""The alerting service's migrations (``adapters/migrations``): `qinglian db upgrade / check / current`."""

from __future__ import annotations

from pathlib import Path

from qinglian.migrations import MigrationHistory
from services.alerting.errors import DatabaseUnavailable, MigrationError

HISTORY = MigrationHistory(
    tables_zh="案件数据库的表",
    tables_en="the case tables",
    location=Path(__file__).with_name("migrations"),
    version_table="alembic_version",
    unavailable=DatabaseUnavailable,
    failed=MigrationError,
)
alembic_config = HISTORY.config
upgrade = HISTORY.upgrade
check = HISTORY.check
current = HISTORY.current
