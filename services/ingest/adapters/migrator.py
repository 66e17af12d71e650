"""The ingest service's migrations (``adapters/migrations``), run by `qinglian db upgrade` and `db check`.

The ingest tables have their own history and version table, so the ingest and
alerting services migrate the same database independently. ``require_head`` is
the start-up check of every ingest process: the tables are created by
`qinglian db upgrade`, never by a service.
"""

from __future__ import annotations

from pathlib import Path

from qinglian.migrations import MigrationHistory
from services.ingest.errors import MigrationError, StorageUnavailable

VERSION_TABLE = "alembic_version_ingest"
HISTORY = MigrationHistory(
    tables_zh="接入服务的表",
    tables_en="the ingest tables",
    location=Path(__file__).with_name("migrations"),
    version_table=VERSION_TABLE,
    unavailable=StorageUnavailable,
    failed=MigrationError,
)
alembic_config = HISTORY.config
upgrade = HISTORY.upgrade
check = HISTORY.check
current = HISTORY.current
require_head = HISTORY.require_head
