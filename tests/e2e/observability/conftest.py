"""The running pipeline, watched by a real Prometheus: `qinglian demo` on a small district, the pull
connectors on a drop folder, and Prometheus scraping them every second with the production rules.

Everything runs on free ports, its own topic prefix and a temporary database, and is
stopped (demo and connectors by signal, so they stop their own children) whatever happens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from deploy.grafana import dashboards
from qinglian import broker
from qinglian.settings import Settings, project_root
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port
from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.domain.spec import FolderSpec
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from tests.e2e.observability.processes import running
from tests.e2e.observability.prometheus import (
    PrometheusApi,
    alerting_rules,
    local_config,
    running_prometheus,
    selectors,
)
from tests.unit.connectors.support import meal_fee

CONNECTORS_FILE = project_root() / "deploy" / "ingest" / "connectors.yaml"
QINGLIAN = [sys.executable, "-m", "qinglian"]
WORKERS = 2
DEMO_SECONDS = 240  # a safety net: the fixture stops the demo long before
SETTLE_SECONDS = 150  # how long data may take to reach every panel once Prometheus runs


@dataclass(frozen=True, slots=True)
class Observed:
    api: PrometheusApi
    config: Path
    targets: int
    logs: Path


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                f"{url} never answered (exit code {process.poll()}); log:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.5)


def drop_a_canteen_export(folder: Path, connectors: Path) -> Path:
    """The deployed file-drop connector pointed at ``folder``, with an export holding two good rows and one typo."""
    document = yaml.safe_load(CONNECTORS_FILE.read_text(encoding="utf-8"))
    document["connectors"] = [
        entry for entry in document["connectors"] if entry["kind"] == "file_drop"
    ]
    for entry in document["connectors"]:
        entry["folder"] = str(folder)
    connectors.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    [spec] = [spec for spec in load_connectors(connectors) if isinstance(spec, FolderSpec)]
    rows = export_rows(spec.files[0], [meal_fee(number) for number in (1, 2, 3)])
    # A fraction of a fen: the contract rejects the row, so a dead letter exists.
    rows[2]["金额（元）"] = "720.005"
    DropFolderWriter(folder).write("meal_fee_0901.csv", spec.files[0], rows)
    return connectors


def awaited_queries() -> list[str]:
    """What must answer before the tests look: every panel query and every selector an alerting rule reads."""
    panels = [expr for _, _, expr in dashboards.queries()]
    rules = [selector for rule in alerting_rules() for selector in selectors(rule["expr"])]
    return list(dict.fromkeys(panels + rules))


def settle(
    api: PrometheusApi, expressions: Sequence[str], targets: int, demo: subprocess.Popen[bytes]
) -> None:
    """Wait until every target is up and every expression has data, or until SETTLE_SECONDS (the tests then say which)."""
    waiting = [f'count(up{{job=~"qinglian-.*"}} == 1) == {targets}', *expressions]
    deadline = time.monotonic() + SETTLE_SECONDS
    while waiting and time.monotonic() < deadline and demo.poll() is None:
        waiting = [expr for expr in waiting if not api.query(expr).result]
        time.sleep(2)


def delete_topics(settings: Settings, prefix: str) -> None:
    admin = broker.admin_client(settings)
    try:
        ours = [topic for topic in admin.list_topics() if topic.startswith(f"{prefix}.")]
        if ours:
            admin.delete_topics(ours)
    finally:
        admin.close()


@dataclass(frozen=True, slots=True)
class Ports:
    """Every port the run listens on, free when chosen, so it never meets another demo's services."""

    ingest: int = field(default_factory=free_port)
    ingest_metrics: int = field(default_factory=free_port)
    pull_metrics: int = field(default_factory=free_port)
    alerting: int = field(default_factory=free_port)
    alerting_metrics: int = field(default_factory=free_port)
    detectors_metrics: int = field(
        default_factory=lambda: free_port(also_free_at=[10 * index for index in range(WORKERS)])
    )

    def environment(self) -> dict[str, str]:
        return {
            "QINGLIAN_INGEST_PORT": str(self.ingest),
            "QINGLIAN_INGEST_METRICS_PORT": str(self.ingest_metrics),
            "QINGLIAN_ALERTING_PORT": str(self.alerting),
            "QINGLIAN_ALERTING_METRICS_PORT": str(self.alerting_metrics),
            "QINGLIAN_DETECTORS_METRICS_PORT": str(self.detectors_metrics),
        }

    def stand_ins(self) -> dict[str, list[str]]:
        """The local targets playing each compose host of the production scrape config."""
        workers = [self.detectors_metrics + 10 * index for index in range(WORKERS)]
        return {
            "ingest": [f"127.0.0.1:{self.ingest_metrics}"],
            "ingest-pull": [f"127.0.0.1:{self.pull_metrics}"],
            "detectors": [f"127.0.0.1:{port}" for port in workers],
            "alerting": [f"127.0.0.1:{self.alerting_metrics}"],
        }


@contextmanager
def demo_running(
    environment: Mapping[str, str], ports: Ports, home: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`qinglian demo` until the block ends; Ctrl-C (SIGINT) is what makes it stop its services."""
    arguments = ["--duration", str(DEMO_SECONDS), "--schools", "20", "--days", "40"]
    arguments += ["--seconds-per-day", "4", "--workers", str(WORKERS)]
    log = home / "demo.log"
    with running([*QINGLIAN, "demo", *arguments], environment, log, stop=signal.SIGINT) as demo:
        # The push API has created the dedup table once it serves metrics; the connectors share it.
        wait_for(f"http://127.0.0.1:{ports.ingest_metrics}/metrics", demo, log)
        yield demo


@contextmanager
def connectors_running(environment: Mapping[str, str], ports: Ports, home: Path) -> Iterator[None]:
    drops = home / "drop"
    drops.mkdir()
    connectors = drop_a_canteen_export(drops, home / "connectors.yaml")
    arguments = ["--config", str(connectors), "--metrics-port", str(ports.pull_metrics)]
    with running(
        [*QINGLIAN, "ingest", "pull", "run", *arguments],
        environment,
        home / "pull.log",
        stop=signal.SIGTERM,
    ):
        yield


@pytest.fixture(scope="module")
def observed(
    kafka_settings: Settings, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    home = tmp_path_factory.mktemp("observability")
    prefix = f"obs{uuid.uuid4().hex[:6]}"
    ports = Ports()
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_config(ports.stand_ins())))
    targets = sum(len(hosts) for hosts in ports.stand_ins().values())
    try:
        with temporary_database(kafka_settings, prefix="qinglian_obs") as database_url:
            environment = {
                **os.environ,
                **ports.environment(),
                "QINGLIAN_TOPIC_PREFIX": prefix,
                "QINGLIAN_DATABASE_URL": database_url,
            }
            with (
                demo_running(environment, ports, home) as demo,
                connectors_running(environment, ports, home),
                running_prometheus(
                    config, home / "tsdb", free_port(), home / "prometheus.log"
                ) as api,
            ):
                settle(api, awaited_queries(), targets, demo)
                yield Observed(api, config, targets, home)
    finally:
        delete_topics(kafka_settings, prefix)
