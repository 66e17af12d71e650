"""One small simulated district, generated once through the CLI function and shared by the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from services.ingest.simulator.cli import simulate
from services.ingest.simulator.sinks.files import DOMAINS, GROUND_TRUTH_FILE, MANIFEST_FILE

SMALL_SCENARIO = ["--schools", "5", "--days", "7", "--seed", "1", "--no-progress"]


@dataclass(frozen=True)
class Output:
    folder: Path
    events: list[dict[str, Any]]
    truth: list[dict[str, Any]]
    manifest: dict[str, Any]

    def of_type(self, name: str) -> list[dict[str, Any]]:
        """Events of ``cn.edu.qinglian.<name>.v1``."""
        return [event for event in self.events if event["type"] == f"cn.edu.qinglian.{name}.v1"]


def cli_app() -> typer.Typer:
    """The command registered the way the lead registers it in `qinglian`."""
    app = typer.Typer()
    app.command()(simulate)
    app.command("version")(
        lambda: None
    )  # a second command keeps `simulate` a sub-command, as in qinglian
    return app


def run_cli(folder: Path, *arguments: str) -> Output:
    result = CliRunner().invoke(cli_app(), ["simulate", *arguments, "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return read_output(folder)


def read_output(folder: Path) -> Output:
    events = [
        json.loads(line)
        for domain in DOMAINS
        for line in (folder / f"{domain}.ndjson").read_text().splitlines()
    ]
    truth = [json.loads(line) for line in (folder / GROUND_TRUTH_FILE).read_text().splitlines()]
    return Output(folder, events, truth, json.loads((folder / MANIFEST_FILE).read_text()))


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Output:
    """`simulate --schools 5 --days 7 --seed 1` with its default anomaly rate."""
    return run_cli(tmp_path_factory.mktemp("small"), *SMALL_SCENARIO)


@pytest.fixture(scope="session")
def normal_run(tmp_path_factory: pytest.TempPathFactory) -> Output:
    """The same district with no anomalies: normal activity only."""
    return run_cli(
        tmp_path_factory.mktemp("normal"),
        "--schools",
        "5",
        "--days",
        "14",
        "--seed",
        "1",
        "--anomaly-rate",
        "0",
        "--no-progress",
    )
