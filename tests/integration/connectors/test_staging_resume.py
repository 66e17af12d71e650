"""A staging-database connector killed mid-pull resumes without gaps or duplicates on Kafka."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from services.ingest.connectors.adapters.checkpoints import SqlCheckpointStore
from services.ingest.connectors.domain.mapping import event_id
from services.ingest.connectors.domain.spec import StagingSpec
from services.ingest.connectors.service_layer.pull import PullDeps, drain
from services.ingest.connectors.sources.staging import StagingDatabaseConnector
from services.ingest.connectors.writers.staging import StagingWriter
from tests.integration.connectors.conftest import RAW_CANTEEN
from tests.integration.ingest.conftest import TopicTail
from tests.unit.connectors.support import (
    CrashingCheckpoints,
    ProcessKilled,
    meal_fee,
    specs,
    staging_entry,
)

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 1, 20, 0)
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def fill(spec: StagingSpec, url: str, school: str, rows: int, per_timestamp: int) -> set[str]:
    """Rows in runs sharing a timestamp; returns the event ids the connector must derive from them."""
    engine = sa.create_engine(url)
    try:
        writer, table = StagingWriter(engine), spec.tables[0]
        for start in range(1, rows + 1, per_timestamp):
            numbers = range(start, min(start + per_timestamp, rows + 1))
            writer.write(
                table,
                [meal_fee(n, school=school) for n in numbers],
                updated_at=T0 + timedelta(seconds=start),
            )
        with engine.connect() as connection:
            stored = connection.execute(sa.text(f"SELECT * FROM {table.table}")).mappings().all()
    finally:
        engine.dispose()
    return {
        event_id(spec.common.connector_id, table.stream, *table.mapping.record_key(row))
        for row in stored
    }


def connected(spec: StagingSpec) -> StagingDatabaseConnector:
    connector = StagingDatabaseConnector(spec)
    connector.setup()
    return connector


def ids_on_topic(tail: TopicTail, school: str) -> Counter[str]:
    """Ids of this test's events written since the last call (a tail reads each record once)."""
    return Counter(
        str(record["id"]) for record in tail.values() if record.get("schoolid") == school
    )


def test_killed_after_kafka_acknowledged_resumes_exactly(
    tmp_path: Path,
    staging_url: str,
    live: PullDeps,
    open_tail: Callable[[str], TopicTail],
    school: str,
    connector_id: str,
) -> None:
    [spec] = specs(tmp_path, staging_entry(connector_id, staging_url, batch_size=4))
    assert isinstance(spec, StagingSpec)
    expected = fill(spec, staging_url, school, rows=25, per_timestamp=3)
    raw = open_tail(RAW_CANTEEN)

    crashing = dataclasses.replace(live, checkpoints=CrashingCheckpoints(3, live.checkpoints))
    with pytest.raises(ProcessKilled):
        drain(connected(spec), crashing)
    seen = ids_on_topic(raw, school)
    assert len(seen) == 12, "three batches reached Kafka; only two checkpoints were stored"

    summary = drain(connected(spec), live)
    assert summary.results == {"duplicate": 4, "accepted": 13}
    seen += ids_on_topic(raw, school)
    assert set(seen) == expected, "no gaps"
    assert max(seen.values()) == 1, "no duplicates"
    assert drain(connected(spec), live).batches == 0, "a third pass finds nothing new"


def test_sigkilled_process_resumes_without_gaps(
    tmp_path: Path,
    staging_url: str,
    live: PullDeps,
    checkpoint_store: SqlCheckpointStore,
    postgres_database_url: str,
    open_tail: Callable[[str], TopicTail],
    school: str,
    connector_id: str,
) -> None:
    entry = staging_entry(connector_id, staging_url, batch_size=5)
    config = tmp_path / "connectors.yaml"
    config.write_text(yaml.safe_dump({"connectors": [entry]}, allow_unicode=True), encoding="utf-8")
    [spec] = specs(tmp_path, entry)
    assert isinstance(spec, StagingSpec)
    rows = 1500
    expected = fill(spec, staging_url, school, rows=rows, per_timestamp=7)
    raw = open_tail(RAW_CANTEEN)

    script = (
        "import sys; from pathlib import Path; from qinglian.settings import load_settings; "
        "from services.ingest.connectors import bootstrap; "
        "bootstrap.run(load_settings(), Path(sys.argv[1]), only=None, once=True, metrics_port=None)"
    )
    environment = {
        **os.environ,
        "QINGLIAN_DATABASE_URL": postgres_database_url,
        "QINGLIAN_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(config)], cwd=PROJECT_ROOT, env=environment
    )
    try:
        deadline = time.monotonic() + 60
        while not checkpoint_store.load(connector_id):
            assert process.poll() is None, "the connector process ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)
    [stored] = checkpoint_store.load(connector_id).values()
    assert int(stored.position["key"]) < rows, "killed mid-pull, not after it"

    drain(connected(spec), live)
    seen = ids_on_topic(raw, school)
    assert set(seen) == expected, "no gaps"
    repeated = [event for event, count in seen.items() if count > 1]
    # At-least-once: only a batch cut between Kafka's ack and the dedup write can repeat, and by the same ids.
    assert len(repeated) <= spec.common.batch_size
