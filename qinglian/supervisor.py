"""Run the pipeline's services as child processes for the demo: start each with its
own log file, wait until it answers, start again one that exits with a status its spec
restarts on, and stop every one of them on exit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qinglian.errors import StackError


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    arguments: tuple[str, ...]  # after `qinglian`
    ready_url: str | None = None  # answers 200 once the service is up
    environment: dict[str, str] = field(default_factory=dict)
    restart_on: frozenset[int] = frozenset()
    """Exit statuses after which the service is started again (a detector worker's stall)."""


@dataclass
class RunningService:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_path: Path
    starts: int = 1


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Supervisor:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[RunningService] = []

    def start(self, spec: ServiceSpec, timeout: float = 120.0) -> RunningService:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{spec.name}.log"
        process = _launch(spec, log_path)
        service = RunningService(spec, process, log_path)
        self.running.append(service)
        deadline = time.monotonic() + timeout
        while spec.ready_url and not _answers(spec.ready_url):
            if process.poll() is not None:
                raise StackError(
                    f"{spec.name} exited with {process.returncode} while starting; see {log_path}"
                )
            if time.monotonic() > deadline:
                raise StackError(
                    f"{spec.name} did not answer {spec.ready_url} within {timeout:.0f}s; see {log_path}"
                )
            time.sleep(0.25)
        return service

    def restart_exited(self) -> list[tuple[RunningService, int]]:
        """Starts again every service that exited with a status its spec restarts on (its log
        goes on in the same file); returns them, with the status."""
        restarted = []
        for service in self.running:
            status = service.process.poll()
            if status is not None and status in service.spec.restart_on:
                service.process = _launch(service.spec, service.log_path)
                service.starts += 1
                restarted.append((service, status))
        return restarted

    def failed(self) -> list[RunningService]:
        return [service for service in self.running if service.process.poll() is not None]

    def stop_all(self, timeout: float = 20.0) -> None:
        for service in reversed(self.running):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in reversed(self.running):
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
        self.running.clear()


def _launch(spec: ServiceSpec, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "qinglian", *spec.arguments],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "QINGLIAN_LOG_FORMAT": "json", **spec.environment},
        )


@contextlib.contextmanager
def supervised(log_dir: Path, report: Callable[[str], None]) -> Iterator[Supervisor]:
    supervisor = Supervisor(log_dir)
    try:
        yield supervisor
    finally:
        if supervisor.running:
            report("停止服务 / stopping the services …")
        supervisor.stop_all()
