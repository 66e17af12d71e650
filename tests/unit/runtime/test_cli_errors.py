"""The CLI answers bad configuration and unusable infrastructure with one line, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qinglian", *arguments],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("QINGLIAN_")},
            **(env or {}),
        },
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("qinglian: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_setting() -> None:
    result = run_cli("config", env={"QINGLIAN_DATABASE_ULR": "sqlite://"})
    assert_one_line_error(result, "unknown environment variable QINGLIAN_DATABASE_ULR")


def test_unknown_key_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("no_such_setting = 1\n")
    assert_one_line_error(
        run_cli("--config", str(config), "config"), "unknown setting 'no_such_setting'"
    )


def test_unreachable_broker() -> None:
    result = run_cli("stack", "topics", env={"QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert_one_line_error(result, "Kafka at 127.0.0.1:1 is unreachable")


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "stack",
            "up",
            env={"QINGLIAN_KAFKA_PORT": str(port), "QINGLIAN_STATE_DIR": str(tmp_path / "state")},
        )
    assert_one_line_error(result, f"port {port} needed by Kafka is in use")


@pytest.mark.parametrize(
    "command",
    [[], ["stack"], ["contracts"], ["ingest"], ["rules"], ["alerting"], ["db"], ["audit"], ["dlq"]],
)
def test_help_everywhere(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("through", "expected"),
    [
        ("2099-01-01T00:00+08:00", "later than now"),
        ("next monday", "not an RFC 3339 time or a date"),
    ],
)
def test_a_clock_declaration_that_cannot_be_true(through: str, expected: str) -> None:
    # Refused before any broker is contacted: the bootstrap address here is unreachable.
    result = run_cli(
        "detectors",
        "clock",
        "--through",
        through,
        env={"QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert_one_line_error(result, expected)
