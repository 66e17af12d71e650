"""Child processes of the dashboard test: free ports, and processes stopped by signal whatever happens."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port(*, also_free_at: Sequence[int] = ()) -> int:
    """A port free now, with ``port + offset`` free too for each offset (worker metrics ports are 10 apart)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if all(_free(port + offset) for offset in also_free_at):
            return port


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def running(
    command: Sequence[str],
    environment: Mapping[str, str] | None,
    log: Path,
    *,
    stop: signal.Signals = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` with its output in ``log``; ``stop`` when the block ends, SIGKILL a minute later."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
