"""`qinglian stack up | status | down` on a second, private stack: down leaves no process behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qinglian.stack.processes import free_port

pytestmark = pytest.mark.integration


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(int(proc.name))
    return found


def test_up_status_down_leaves_nothing_behind(tmp_path: Path) -> None:
    kafka_port, controller_port, postgres_port = free_ports(3)
    state = tmp_path / "state"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QINGLIAN_")},
        "QINGLIAN_STATE_DIR": str(state),
        "QINGLIAN_KAFKA_PORT": str(kafka_port),
        "QINGLIAN_KAFKA_CONTROLLER_PORT": str(controller_port),
        "QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
        "QINGLIAN_POSTGRES_PORT": str(postgres_port),
    }

    def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "qinglian", "stack", *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    try:
        up = cli("up")
        assert up.returncode == 0, up.stderr
        status = cli("status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "✔ kafka" in status.stdout and "✔ postgresql" in status.stdout
        assert processes_mentioning(str(state)), "the stack's processes should be running"
        again = cli("up")
        assert again.returncode == 0 and "Topics: all present" in again.stdout
    finally:
        down = cli("down")
    assert down.returncode == 0, down.stderr
    assert processes_mentioning(str(state)) == []
    after = cli("status")
    assert after.returncode == 1
    assert "✘ kafka" in after.stdout and "not running" in after.stdout
