"""Helpers for the runtime's integration tests: isolated topics, worker processes, reading topics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson
from kafka import TopicPartition

from qinglian import broker
from qinglian.settings import Settings
from qinglian.stack.processes import free_port

ROOT = Path(__file__).resolve().parents[3]


def isolated(settings: Settings) -> Settings:
    """Settings whose topics (and the workers' consumer group) no other test sees."""
    return settings.model_copy(update={"topic_prefix": f"qinglian.test-{uuid.uuid4().hex[:8]}"})


class WorkerProcess:
    """``tests.integration.detectors.worker_main`` in a subprocess, logging to a file."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        name: str,
        *arguments: str,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """``arguments`` and ``environment``: more for ``worker_main``."""
        self.log_path = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix,
            "QINGLIAN_LOG_FORMAT": "json",
            **(environment or {}),
        }
        self.metrics_port = free_port()
        command = [
            sys.executable,
            "-m",
            "tests.integration.detectors.worker_main",
            str(free_port()),
            str(self.metrics_port),
            *arguments,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final commit, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


class TopicReader:
    """Reads a whole topic from the beginning, remembering what it has read."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._consumer = broker.consumer(settings, group_id=None)
        wait_until(
            lambda: bool(self._consumer.partitions_for_topic(topic)),
            timeout=20,
            describe=lambda: f"{topic} has no metadata",
        )
        self._consumer.assign(
            [
                TopicPartition(topic, p)
                for p in sorted(self._consumer.partitions_for_topic(topic) or ())
            ]
        )
        self._consumer.seek_to_beginning()
        self.documents: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        for records in self._consumer.poll(timeout_ms=500).values():
            self.documents.extend(orjson.loads(record.value) for record in records)
        return self.documents

    def close(self) -> None:
        self._consumer.close()


def wait_until(
    condition: Callable[[], bool], *, timeout: float, describe: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s: {describe()}")
