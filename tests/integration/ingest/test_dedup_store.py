"""The dedup store on a real database: a whole push batch in one statement each way, on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from qinglian.settings import Settings
from qinglian.stack import postgres
from services.ingest.adapters import migrator
from services.ingest.adapters.dedup_store import SqlDedupStore

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDedupStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dedup.db'}"
        migrator.upgrade(url)
        yield SqlDedupStore(sa.create_engine(url))
        return
    request.getfixturevalue("postgres_admin_url")
    settings: Settings = request.getfixturevalue("settings")
    with postgres.temporary_database(settings, prefix="qinglian_ingest_dedup") as url:
        migrator.upgrade(url)
        engine = sa.create_engine(url)
        try:
            yield SqlDedupStore(engine)
        finally:
            engine.dispose()


def test_a_batch_is_remembered_once_and_seen_per_source(store: SqlDedupStore) -> None:
    first = [f"e-{uuid.uuid4()}" for _ in range(500)]
    store.remember("fuling-finance", first, AT)
    again = [*first[:100], *first[:10]]  # re-sent ids, one of them twice: no conflict error
    later = [f"e-{uuid.uuid4()}" for _ in range(400)]
    store.remember("fuling-finance", [*again, *later], AT)

    asked = [*first[:250], *later[:50], "never-sent"]
    assert store.seen("fuling-finance", asked) == set(first[:250]) | set(later[:50])
    assert store.seen("another-source", asked) == set()
    assert store.seen("fuling-finance", []) == set()
