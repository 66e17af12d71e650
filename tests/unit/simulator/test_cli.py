"""`qinglian simulate`: the command's options, errors and its registration in the `qinglian` CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.unit.simulator.conftest import cli_app, read_output

PROJECT = Path(__file__).resolve().parents[3]


def registered_in_qinglian() -> bool:
    from qinglian.cli import app

    return any(command.name == "simulate" for command in app.registered_commands)


def test_a_bad_start_date_is_refused_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app(), ["simulate", "--start", "2025-13-01", "--out", str(tmp_path), "--no-progress"]
    )
    assert result.exit_code != 0
    assert "--start '2025-13-01' is not a date" in str(result.exception)


def test_a_scenario_past_the_holiday_calendar_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app(),
        [
            "simulate",
            "--start",
            "2030-09-02",
            "--days",
            "2",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
    )
    assert "chinese_calendar" in str(result.exception)


def test_push_without_a_secret_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app(),
        [
            "simulate",
            "--push",
            "http://127.0.0.1:1",
            "--schools",
            "1",
            "--days",
            "1",
            "--no-progress",
        ],
    )
    assert "--secret-file" in str(result.exception)


@pytest.mark.skipif(
    not registered_in_qinglian(),
    reason="the lead has not registered `simulate` in qinglian.cli yet",
)
def test_python_m_qinglian_simulate_writes_the_scenario(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "qinglian",
        "simulate",
        "--schools",
        "5",
        "--days",
        "7",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    completed = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stderr
    output = read_output(tmp_path)
    assert output.manifest["events"] == len(output.events) > 0
    assert {record["rule_id"] for record in output.truth} >= {"C6", "P3", "E1", "F_BENFORD", "R048"}
