"""Tracked background processes: start detached, record the PID, stop exactly what was started."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qinglian.errors import PortInUse, StackError


@dataclass(frozen=True, slots=True)
class PidFile:
    """A PID plus the marker that must appear in its command line, so a reused PID is never killed."""

    path: Path
    marker: str

    def write(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{pid}\n{self.marker}\n")

    def read(self) -> int | None:
        try:
            pid_text, marker = self.path.read_text().splitlines()[:2]
        except (FileNotFoundError, ValueError):
            return None
        pid = int(pid_text)
        return pid if marker == self.marker and _command_line(pid).find(self.marker) >= 0 else None

    def running_pid(self) -> int | None:
        pid = self.read()
        return pid if pid is not None and alive(pid) else None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _command_line(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _process_group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def start_detached(
    command: list[str], log_path: Path, pid_file: PidFile, env: dict[str, str] | None = None
) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    pid_file.write(process.pid)
    return process.pid


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `timeout`."""
    leads_group = _process_group(pid) == pid
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if leads_group else os.kill)(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not alive(pid):
                return
            time.sleep(0.1)
    raise StackError(f"process {pid} did not stop")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


EPHEMERAL_PORTS_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LISTEN_PORT_SPAN = 12_000


def free_port(*, also_free_at: Sequence[int] = ()) -> int:
    """A port for a server started next (tests, benchmarks, the evaluation's worker), free now,
    with ``port + offset`` free too for each offset.

    Taken below the kernel's ephemeral range, never from it: a port the kernel hands out for
    binding to 0 lies in that range, where any outgoing connection (a Kafka or PostgreSQL
    client) may take it before the server binds it: "address already in use", one run in many.
    """
    lowest_ephemeral = _lowest_ephemeral_port()
    highest_offset = max((0, *also_free_at))
    lowest = max(1024, lowest_ephemeral - LISTEN_PORT_SPAN)
    candidates = range(lowest, lowest_ephemeral - highest_offset)
    for _ in range(1000):
        port = random.choice(candidates)
        if all(_bindable(port + offset) for offset in (0, *also_free_at)):
            return port
    raise PortInUse(f"no free port between {candidates.start} and {candidates.stop}")


def _lowest_ephemeral_port() -> int:
    try:
        return int(EPHEMERAL_PORTS_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def require_free_port(port: int, what: str, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Kafka and PostgreSQL bind with SO_REUSEADDR, so a connection lingering in
        # TIME_WAIT on this port does not stop them; only a live socket should stop us.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(
                f"port {port} needed by {what} is in use by another process; free it or set {setting}"
            ) from exc


def wait_until(check, timeout: float, what: str, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    hint = f"; see {log_path}" if log_path else ""
    raise StackError(f"{what} did not become ready within {timeout:.0f}s{hint}")
