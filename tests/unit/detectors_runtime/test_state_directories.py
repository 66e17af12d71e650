"""Workers' local state directories: one per app, and removed with the run that made them."""

from __future__ import annotations

from pathlib import Path

from qinglian.settings import load_settings
from services.detectors.runtime.app import (
    delete_state_directories,
    detectors_app_id,
    state_directory,
)


def test_a_runs_state_directories_go_and_other_runs_stay(tmp_path: Path) -> None:
    base = load_settings().model_copy(update={"state_dir": tmp_path})
    run = base.model_copy(update={"topic_prefix": "qinglian.eval-ab12"})
    longer = base.model_copy(update={"topic_prefix": "qinglian.eval-ab123"})
    worker = state_directory(run, detectors_app_id(run), 6066)
    second_worker = state_directory(run, detectors_app_id(run), 6067)
    agent = state_directory(run, f"{run.topic_prefix}.passthrough", 6068)
    kept = [
        state_directory(base, detectors_app_id(base), 6066),
        state_directory(longer, detectors_app_id(longer), 6066),
    ]
    for directory in (worker, second_worker, agent, *kept):
        (directory / "tables").mkdir(parents=True)
        (directory / "tables" / "CURRENT").write_text("MANIFEST-000001\n")

    delete_state_directories(run)

    assert sorted(p.name for p in (tmp_path / "detectors").iterdir()) == sorted(
        d.name for d in kept
    )


def test_no_directory_yet_is_nothing_to_delete(tmp_path: Path) -> None:
    delete_state_directories(
        load_settings().model_copy(update={"state_dir": tmp_path, "topic_prefix": "qinglian.x"})
    )
