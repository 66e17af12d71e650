"""`qinglian alerting serve` as a real process: consumer, scheduler, API and /metrics together,
answering /healthz, turning alerts from Kafka into cases, and stopping cleanly on SIGTERM.

The process gets a topic prefix of its own (so its consumer group and topics are
its own too) and a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from qinglian import broker
from qinglian.settings import Settings, load_settings
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port
from qinglian.topics import alerts_topic, deadletter_topic, topic_specs
from services.alerting.adapters import migrator
from services.alerting.adapters.alert_codec import encode_alert_event
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import bootstrap
from services.alerting.testing import add_sample_users, sample_alert

pytestmark = pytest.mark.integration


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.25)


@dataclass
class Served:
    settings: Settings
    process: subprocess.Popen[bytes]
    base_url: str
    metrics_url: str
    token: str
    log: Path


@pytest.fixture
def served(kafka_settings: Settings, postgres_admin_url: str, tmp_path: Path) -> Iterator[Served]:
    prefix = f"qltest{uuid.uuid4().hex[:8]}"
    with temporary_database(kafka_settings, prefix="qinglian_serve") as url:
        settings = load_settings(topic_prefix=prefix, database_url=url)
        broker.ensure_topics(
            settings,
            [
                s
                for s in topic_specs(settings)
                if s.name in (alerts_topic(settings), deadletter_topic(settings))
            ],
        )
        migrator.upgrade(url)
        setup = bootstrap(settings, hasher=Argon2Hasher.for_tests())
        add_sample_users(setup)
        token, _ = setup.issue_token("inspector", "serve test")
        port, metrics_port = free_port(), free_port()
        log = tmp_path / "serve.log"
        environment = {
            **os.environ,
            "QINGLIAN_DATABASE_URL": url,
            "QINGLIAN_TOPIC_PREFIX": prefix,
            "QINGLIAN_ALERTING_PORT": str(port),
            "QINGLIAN_ALERTING_METRICS_PORT": str(metrics_port),
            "QINGLIAN_ALERTING_SCHEDULER_INTERVAL_SECONDS": "1",
            "QINGLIAN_ALERTING_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
            "QINGLIAN_LOG_FORMAT": "json",
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "qinglian", "alerting", "serve"],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            yield Served(
                settings,
                process,
                f"http://127.0.0.1:{port}",
                f"http://127.0.0.1:{metrics_port}/metrics",
                token,
                log,
            )
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            admin = broker.admin_client(settings)
            try:
                admin.delete_topics([alerts_topic(settings), deadletter_topic(settings)])
                admin.delete_consumer_groups([f"{prefix}-alerting"])
            finally:
                admin.close()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_runs_consumer_scheduler_api_and_metrics_and_stops_on_sigterm(served: Served) -> None:
    wait_until(lambda: answers(f"{served.base_url}/healthz"), "the service answers /healthz")
    producer = broker.durable_producer(served.settings, client_id="serve-test")
    try:
        for n in range(20):
            alert = sample_alert(alert_id=f"al-serve-{n:03d}", school_id=f"50010200{n % 3 + 1}")
            producer.send(
                alerts_topic(served.settings),
                key=alert.school_id.encode(),
                value=encode_alert_event(alert),
            )
        producer.flush()
    finally:
        producer.close()
    headers = {"Authorization": f"Bearer {served.token}"}

    def cases_listed() -> int:
        page = httpx.get(f"{served.base_url}/api/v1/cases", headers=headers, params={"limit": 200})
        return len(page.json()["items"])

    wait_until(lambda: cases_listed() == 3, "the 20 alerts became 3 cases (one per school)")
    metrics = httpx.get(served.metrics_url).text
    assert 'qinglian_alerting_alerts_consumed_total{result="opened_case"} 3.0' in metrics
    assert 'qinglian_alerting_alerts_consumed_total{result="added_to_case"} 17.0' in metrics
    wait_until(
        lambda: "qinglian_consumer_lag_messages{" in httpx.get(served.metrics_url).text,
        "consumer lag is exported",
    )
    wait_until(
        lambda: (
            'qinglian_alerting_cases{severity="orange",state="new"} 3.0'
            in httpx.get(served.metrics_url).text
        ),
        "the scheduler refreshed the case gauges",
    )
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=60) == 0, served.log.read_text()
    assert "alerting service stopped" in served.log.read_text()
