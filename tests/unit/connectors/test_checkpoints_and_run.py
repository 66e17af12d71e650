"""The checkpoint table on SQLite, and one `--once` run over several connectors."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.ingest.adapters import migrator
from services.ingest.connectors.adapters.checkpoints import SqlCheckpointStore
from services.ingest.connectors.bootstrap import (
    build_connector,
    run_once,
    run_until_stopped,
    select,
)
from services.ingest.connectors.domain.checkpoint import Checkpoint
from services.ingest.connectors.errors import CheckpointUnavailable, UnknownConnector
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from tests.unit.connectors.support import Harness, drop_entry, meal_fee, specs, staging_entry

SAVED_AT = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SqlCheckpointStore:
    url = f"sqlite:///{tmp_path / 'qinglian.db'}"
    migrator.upgrade(url)
    return SqlCheckpointStore(sa.create_engine(url))


def test_checkpoints_are_saved_replaced_and_come_back_aware(store: SqlCheckpointStore) -> None:
    cst = timezone(timedelta(hours=8))
    store.save(
        "canteen",
        Checkpoint(
            "t1",
            {"updated_at": "2024-09-01T20:00:00", "key": 3},
            datetime(2024, 9, 1, 20, tzinfo=cst),
        ),
        SAVED_AT,
    )
    store.save(
        "canteen", Checkpoint("t1", {"updated_at": "2024-09-01T21:00:00", "key": 9}, None), SAVED_AT
    )
    store.save("canteen", Checkpoint("file:ab", {"file": "a.csv"}, None), SAVED_AT)
    store.save("other", Checkpoint("t1", {"cursor": "c"}, None), SAVED_AT)
    loaded = store.load("canteen")
    assert loaded["t1"] == Checkpoint("t1", {"updated_at": "2024-09-01T21:00:00", "key": 9}, None)
    assert store.load_stream("canteen", "file:ab") == Checkpoint("file:ab", {"file": "a.csv"}, None)
    assert store.load_stream("canteen", "file:zz") is None
    assert [(s.connector_id, s.checkpoint.stream, s.saved_at) for s in store.saved()] == [
        ("canteen", "file:ab", SAVED_AT),
        ("canteen", "t1", SAVED_AT),
        ("other", "t1", SAVED_AT),
    ]


def test_a_watermark_keeps_its_instant(store: SqlCheckpointStore) -> None:
    moment = datetime(2024, 9, 1, 20, tzinfo=timezone(timedelta(hours=8)))
    store.save("c", Checkpoint("t", {}, moment), SAVED_AT)
    assert store.load("c")["t"].watermark == moment


def test_an_unusable_database_is_a_checkpoint_error(tmp_path: Path) -> None:
    broken = SqlCheckpointStore(sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    with pytest.raises(CheckpointUnavailable, match="checkpoint database is unavailable"):
        broken.load("c")


def test_run_once_goes_on_after_a_failing_connector(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    broken, drop = specs(
        tmp_path,
        staging_entry("broken", f"sqlite:///{tmp_path / 'no' / 'db.sqlite'}"),
        drop_entry("drop", folder),
    )
    DropFolderWriter(folder).write(
        "meal_fee_1.csv", drop.files[0], export_rows(drop.files[0], [meal_fee(1)])
    )  # type: ignore[union-attr]
    outcomes = run_once(Harness().deps, [build_connector(broken), build_connector(drop)])
    assert [(o.connector_id, o.summary is None) for o in outcomes] == [
        ("broken", True),
        ("drop", False),
    ]
    assert "staging database is unreachable" in str(outcomes[0].error)
    assert (
        outcomes[1].summary is not None
        and outcomes[1].summary.line() == "drop: 1 batch(es); accepted 1, duplicate 0, rejected 0"
    )


def test_select_one_connector(tmp_path: Path) -> None:
    configured = specs(tmp_path, staging_entry("a", "sqlite://"), staging_entry("b", "sqlite://"))
    assert [spec.common.connector_id for spec in select(configured, "b")] == ["b"]
    with pytest.raises(UnknownConnector, match="configured: a, b"):
        select(configured, "c")


def test_run_until_stopped_polls_until_a_signal(tmp_path: Path) -> None:
    """Connectors poll in threads; SIGTERM stops them all and the call returns."""
    folder = tmp_path / "drop"
    folder.mkdir()
    entry = drop_entry("drop", folder) | {"poll_interval_seconds": 0.01}
    [drop] = specs(tmp_path, entry)
    harness = Harness()

    def drop_then_stop() -> None:
        time.sleep(0.05)  # a few empty polls first
        DropFolderWriter(folder).write(
            "meal_fee_1.csv", drop.files[0], export_rows(drop.files[0], [meal_fee(1)])
        )  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        while not (folder / "archive" / "meal_fee_1.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=drop_then_stop)
    helper.start()
    run_until_stopped(harness.deps, [build_connector(drop)])
    helper.join()
    assert [event["subject"] for event in harness.published()] == ["JF-2024-000001"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the previous handler is back"
