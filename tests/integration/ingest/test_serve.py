"""`qinglian ingest serve` as a real process: signed pushes, /metrics, and logs free of PII."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from qinglian.stack.processes import free_port
from services.ingest.domain.signature import signing_headers
from tests.integration.ingest.conftest import TopicTail
from tests.unit.ingest.support import AID, CLEAR_ID_NUMBER, NEW_KEY, OLD_KEY, broken, event

pytestmark = pytest.mark.integration

SOURCES = f"""
sources:
  - id: fuling-finance
    keys:
      - {{id: "{OLD_KEY.key_id}", secret_env: TEST_FULING_OLD_KEY}}
      - {{id: "{NEW_KEY.key_id}", secret: "{NEW_KEY.secret.decode()}"}}
    event_types: ["cn.edu.qinglian.finance.*"]
    school_ids: ["500102001"]
"""


@contextmanager
def serving(database_url: str, tmp_path: Path, *options: str) -> Iterator[tuple[str, str, Path]]:
    """`qinglian ingest serve` in a process of its own: (base URL, metrics URL, log file)."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    port, metrics_port = free_port(), free_port()
    log_path = tmp_path / "ingest.log"
    env = {
        **os.environ,
        "QINGLIAN_DATABASE_URL": database_url,
        "QINGLIAN_INGEST_METRICS_PORT": str(metrics_port),
        "QINGLIAN_LOG_FORMAT": "json",
        "TEST_FULING_OLD_KEY": OLD_KEY.secret.decode(),
    }
    command = [
        sys.executable,
        "-m",
        "qinglian",
        "ingest",
        "serve",
        "--sources",
        str(sources),
        "--port",
        str(port),
        *options,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "ingest serve did not start"
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield base, f"http://127.0.0.1:{metrics_port}/metrics", log_path
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture
def server(postgres_database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    with serving(postgres_database_url, tmp_path) as running:
        yield running


def labels(values: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url, timeout=5).text
    return {
        (sample.name, labels(sample.labels)): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def push(base: str, payload: object, key=NEW_KEY) -> httpx.Response:
    body = orjson.dumps(payload)
    headers = {
        **signing_headers("fuling-finance", key, body, datetime.now(UTC)),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{base}/v1/events", content=body, headers=headers, timeout=30)


def test_serve_end_to_end(
    server: tuple[str, str, Path], open_tail: Callable[[str], TopicTail]
) -> None:
    base, metrics_url, log_path = server
    raw, dlq = open_tail("qinglian.raw.finance"), open_tail("qinglian.deadletter")
    good, bad = event(AID), broken(AID)

    accepted = push(base, good, key=OLD_KEY)
    mixed = push(base, [good, bad])

    assert accepted.status_code == 200, accepted.text
    assert mixed.status_code == 207
    assert [r["status"] for r in mixed.json()["results"]] == ["duplicate", "rejected"]
    raw_bytes = b"".join(record.value for record in raw.drain())
    dlq_bytes = b"".join(record.value for record in dlq.drain())
    assert good["id"].encode() in raw_bytes and bad["id"].encode() in dlq_bytes
    assert CLEAR_ID_NUMBER.encode() not in raw_bytes + dlq_bytes

    metrics = scrape(metrics_url)
    aid = {"source": "fuling-finance", "type": "cn.edu.qinglian.finance.aid_disbursement.v1"}
    assert metrics["qinglian_ingest_events_received_total", labels(aid)] == 3
    assert metrics["qinglian_ingest_events_total", labels({**aid, "result": "accepted"})] == 1
    assert metrics["qinglian_ingest_events_total", labels({**aid, "result": "duplicate"})] == 1
    assert metrics["qinglian_ingest_events_total", labels({**aid, "result": "rejected"})] == 1
    assert (
        metrics["qinglian_ingest_deadletters_total", labels({"stage": "push", "reason": "type"})]
        == 1
    )
    assert metrics["qinglian_ingest_push_request_duration_seconds_count", labels({})] == 2

    logs = log_path.read_text(encoding="utf-8")
    assert bad["id"] in logs, "rejections are logged by id"
    assert CLEAR_ID_NUMBER not in logs


def test_workers_share_the_port_and_metrics_count_every_worker(
    postgres_database_url: str, tmp_path: Path
) -> None:
    pushes, per_push = 24, 20
    with serving(postgres_database_url, tmp_path, "--workers", "2") as (
        base,
        metrics_url,
        log_path,
    ):
        # Concurrent pushes, each on a fresh connection, which the kernel hands to either worker.
        with ThreadPoolExecutor(8) as pool:
            responses = list(
                pool.map(lambda _: push(base, [event(AID) for _ in range(per_push)]), range(pushes))
            )
        assert [response.status_code for response in responses] == [200] * pushes
        metrics = scrape(metrics_url)
        logs = log_path.read_text(encoding="utf-8")

    aid = {"source": "fuling-finance", "type": "cn.edu.qinglian.finance.aid_disbursement.v1"}
    assert metrics["qinglian_ingest_events_received_total", labels(aid)] == pushes * per_push
    assert metrics["qinglian_ingest_events_total", labels({**aid, "result": "accepted"})] == (
        pushes * per_push
    )
    assert metrics["qinglian_ingest_push_request_duration_seconds_count", labels({})] == pushes
    assert logs.count("Started server process") == 2, "two worker processes ran"
