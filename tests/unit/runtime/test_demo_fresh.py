"""`qinglian demo --fresh`: the local stack's data and the demo's files go, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from qinglian.demo import start_afresh
from qinglian.errors import StackError
from qinglian.settings import Settings


def in_folder(settings: Settings, state: Path, **changes: str) -> Settings:
    """Settings whose state folder is ``state``: never the stack the other tests use."""
    moved = settings.model_copy(update={"state_dir": state, **changes})
    assert moved.state_path == state
    return moved


def stored_before(state: Path) -> list[Path]:
    """What a stack and a demo leave in the state folder (none of it running here)."""
    files = [
        state / name / "some-file"
        for name in ("kafka/data", "postgres/data", "detectors/app-6066", "demo/drop")
    ]
    for file in files:
        file.parent.mkdir(parents=True)
        file.write_text("x")
    return files


def test_starting_afresh_deletes_the_stack_data_and_the_demo_files_only(
    settings: Settings, tmp_path: Path
) -> None:
    local = in_folder(settings, tmp_path)
    stored = stored_before(tmp_path)
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("mine")
    reports: list[str] = []

    start_afresh(local, report=reports.append)

    assert not any(file.exists() for file in stored)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
    assert "Kafka: was not running" in reports and "PostgreSQL: was not running" in reports


def test_a_database_configured_elsewhere_is_not_the_demos_to_empty(
    settings: Settings, tmp_path: Path
) -> None:
    elsewhere = in_folder(
        settings, tmp_path, database_url="postgresql+psycopg://inspection@db.example.cn/cases"
    )
    stored = stored_before(tmp_path)

    with pytest.raises(StackError, match="QINGLIAN_DATABASE_URL names another one"):
        start_afresh(elsewhere, report=lambda message: None)
    assert all(file.exists() for file in stored)
