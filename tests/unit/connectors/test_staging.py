"""The staging database connector on SQLite: watermark order, restart, crash, refusals."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.ingest.connectors.domain.spec import StagingSpec, TableSpec
from services.ingest.connectors.errors import SourceRefused, SourceUnavailable
from services.ingest.connectors.service_layer.pull import drain
from services.ingest.connectors.sources.staging import StagingDatabaseConnector
from services.ingest.connectors.writers.staging import StagingWriter
from services.ingest.errors import StorageUnavailable
from tests.unit.connectors.support import (
    CrashingCheckpoints,
    Harness,
    ProcessKilled,
    meal_fee,
    specs,
    staging_entry,
)

T0 = datetime(2024, 9, 1, 20, 0)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qianzhiku.db'}"


@pytest.fixture
def writer(url: str) -> Iterator[StagingWriter]:
    engine = sa.create_engine(url)
    yield StagingWriter(engine)
    engine.dispose()


def spec_for(tmp_path: Path, url: str, batch_size: int = 2) -> StagingSpec:
    [spec] = specs(tmp_path, staging_entry("canteen-staging", url, batch_size=batch_size))
    assert isinstance(spec, StagingSpec)
    return spec


def table(spec: StagingSpec) -> TableSpec:
    return spec.tables[0]


def _fresh(spec: StagingSpec) -> StagingDatabaseConnector:
    connector = StagingDatabaseConnector(spec)
    connector.setup()
    return connector


def pull(spec: StagingSpec, harness: Harness) -> list[str]:
    connector = _fresh(spec)
    try:
        drain(connector, harness.deps)
    finally:
        connector.close()
    return [str(event["subject"]) for event in harness.published()]


def test_rows_sharing_a_timestamp_are_neither_skipped_nor_repeated_at_batch_boundaries(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url, batch_size=2)
    writer.write(table(spec), [meal_fee(1)], updated_at=T0)
    writer.write(
        table(spec), [meal_fee(n) for n in range(2, 7)], updated_at=T0 + timedelta(minutes=1)
    )
    writer.write(table(spec), [meal_fee(7)], updated_at=T0 + timedelta(minutes=2))
    harness = Harness()
    assert pull(spec, harness) == [f"JF-2024-{n:06d}" for n in range(1, 8)]
    [saved] = harness.checkpoints.saved()
    assert saved.checkpoint.position == {"updated_at": "2024-09-01T20:02:00", "key": 7}
    assert saved.checkpoint.watermark == datetime.fromisoformat("2024-09-01T20:02:00+08:00")


def test_a_restart_resumes_exactly_after_the_watermark(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url)
    writer.write(table(spec), [meal_fee(n) for n in range(1, 4)], updated_at=T0)
    harness = Harness()
    pull(spec, harness)
    writer.write(table(spec), [meal_fee(4)], updated_at=T0)  # same timestamp, higher key
    writer.write(table(spec), [meal_fee(5)], updated_at=T0 + timedelta(seconds=1))
    assert pull(spec, harness)[3:] == ["JF-2024-000004", "JF-2024-000005"]
    assert len(pull(spec, harness)) == 5, "a third pass finds nothing new"


def test_an_updated_row_is_a_new_event(tmp_path: Path, url: str, writer: StagingWriter) -> None:
    spec = spec_for(tmp_path, url)
    writer.write(table(spec), [meal_fee(1)], updated_at=T0)
    harness = Harness()
    pull(spec, harness)
    with writer.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE st_meal_fee_payment SET amount_yuan = 730, updated_at = :t"),
            {"t": T0 + timedelta(hours=1)},
        )
    pull(spec, harness)
    first, second = harness.published()
    assert first["id"] != second["id"]
    assert (first["data"]["amount_fen"], second["data"]["amount_fen"]) == (72000, 73000)


def test_a_crash_after_kafka_acked_resumes_without_gaps_or_duplicates(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url, batch_size=3)
    writer.write(table(spec), [meal_fee(n) for n in range(1, 11)], updated_at=T0)
    harness = Harness()
    crashing = dataclasses.replace(
        harness.deps, checkpoints=CrashingCheckpoints(3, harness.checkpoints)
    )
    with pytest.raises(ProcessKilled):
        drain(_fresh(spec), crashing)
    assert len(harness.published()) == 9, "the third batch reached Kafka; its checkpoint did not"
    summary = drain(_fresh(spec), harness.deps)
    events = harness.published()
    assert sorted(str(e["subject"]) for e in events) == [f"JF-2024-{n:06d}" for n in range(1, 11)]
    assert len({e["id"] for e in events}) == len(events) == 10
    assert summary.results == {"duplicate": 3, "accepted": 1}


def test_the_checkpoint_stays_when_kafka_does_not_acknowledge(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url)
    writer.write(table(spec), [meal_fee(1)], updated_at=T0)
    harness = Harness()
    harness.publisher.down = True
    with pytest.raises(StorageUnavailable):
        pull(spec, harness)
    assert harness.checkpoints.saved() == []


def test_a_bad_row_is_dead_lettered_and_the_pull_goes_on(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url)
    writer.write(table(spec), [meal_fee(1)], updated_at=T0)
    writer.insert_rows(
        table(spec),
        [
            {
                "payment_no": "JF-BAD",
                "school_code": "500102001",
                "paid_at": T0,
                "amount_yuan": 1,
                "updated_at": T0,
            }
        ],
    )
    writer.write(table(spec), [meal_fee(3)], updated_at=T0 + timedelta(seconds=1))
    harness = Harness()
    assert pull(spec, harness) == ["JF-2024-000001", "JF-2024-000003"]
    [letter] = harness.deadletters()
    assert letter["stage"] == "pull" and letter["source"] == "canteen-staging"
    assert {reason["path"] for reason in letter["reasons"]} >= {
        "data.term",
        "data.student",
        "data.meal_days",
    }


def test_a_missing_table_or_column_is_refused(
    tmp_path: Path, url: str, writer: StagingWriter
) -> None:
    spec = spec_for(tmp_path, url)
    with pytest.raises(SourceRefused, match="table st_meal_fee_payment does not exist"):
        StagingDatabaseConnector(spec).setup()
    with writer.engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE st_meal_fee_payment (id INTEGER PRIMARY KEY, updated_at DATETIME)"
            )
        )
    with pytest.raises(SourceRefused, match="no column"):
        StagingDatabaseConnector(spec).setup()


def test_an_unreachable_database_is_unavailable_and_reported(tmp_path: Path) -> None:
    spec = spec_for(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    failures: list[Exception] = []
    connector = StagingDatabaseConnector(spec, on_connect_failure=failures.append)
    with pytest.raises(SourceUnavailable, match="canteen-staging"):
        connector.setup()
    assert [type(failure) for failure in failures] == [SourceUnavailable]
