"""A real Prometheus (Debian's /usr/bin/prometheus) for the dashboard test: config, process and query API.

The scrape configuration is the production one (deploy/prometheus/prometheus.yml)
with the same job names, each compose host replaced by the local processes that
play it, scraped every second; the production rules file is loaded as is.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from qinglian.settings import project_root
from tests.e2e.observability.processes import running

DEPLOY = project_root() / "deploy" / "prometheus"
PRODUCTION_CONFIG = DEPLOY / "prometheus.yml"
RULES = DEPLOY / "rules"
RULES_FILE = RULES / "qinglian.yml"
# A metric name as Qinglian or the Python client exports it, with its label matchers if any.
SELECTOR = re.compile(r"\b(?:qinglian_\w+|up|process_\w+)\b(?:\{[^}]*\})?")


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: ./run installs Debian's prometheus package")
    return found


def selectors(expr: str) -> list[str]:
    """The metric selectors a PromQL expression reads (``name{matchers}``), in order, without repeats."""
    return list(dict.fromkeys(SELECTOR.findall(expr)))


def alerting_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES_FILE.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def production_jobs() -> list[dict[str, Any]]:
    return yaml.safe_load(PRODUCTION_CONFIG.read_text())["scrape_configs"]


def _hosts(job: Mapping[str, Any]) -> list[str]:
    static = [
        target.rpartition(":")[0]
        for config in job.get("static_configs", ())
        for target in config["targets"]
    ]
    discovered = [name for config in job.get("dns_sd_configs", ()) for name in config["names"]]
    return static + discovered


def local_config(stand_ins: Mapping[str, Sequence[str]], *, interval: str = "1s") -> dict[str, Any]:
    """The production jobs, each compose host (``ingest``, ``detectors`` …) replaced by its local targets."""
    jobs = []
    for job in production_jobs():
        unknown = [host for host in _hosts(job) if host not in stand_ins]
        if unknown:
            raise KeyError(
                f"job {job['job_name']} scrapes {unknown}: the test runs nothing that plays them"
            )
        targets = [target for host in _hosts(job) for target in stand_ins[host]]
        jobs.append({"job_name": job["job_name"], "static_configs": [{"targets": targets}]})
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(RULES / "*.yml")],
        "scrape_configs": jobs,
    }


class PrometheusError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Answer:
    status: str
    result: list[dict[str, Any]]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PrometheusApi:
    base_url: str

    def query(self, expr: str) -> Answer:
        """An instant query at the current time; a parse error comes back as status "error", not an exception."""
        response = httpx.get(f"{self.base_url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        return Answer(body["status"], body.get("data", {}).get("result", []), body.get("error"))

    def rules(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/api/v1/rules", timeout=10)
        return [rule for group in response.json()["data"]["groups"] for rule in group["rules"]]

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@contextmanager
def running_prometheus(
    config: Path, storage: Path, port: int, log: Path, *, timeout: float = 30
) -> Iterator[PrometheusApi]:
    """Prometheus on 127.0.0.1:``port`` until the block ends; stopped with SIGTERM (it flushes and exits)."""
    command = [
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={storage}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with running(command, None, log) as process:
        api = PrometheusApi(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout
        while not api.ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise PrometheusError(
                    f"Prometheus did not start (exit code {process.poll()}): {log.read_text()[-2000:]}"
                )
            time.sleep(0.2)
        yield api
