"""`qinglian demo --duration 90`: the whole pipeline on a simulated district, end to end.

Events reach the pipeline the ways schools deliver them: canteen purchase orders
through a staging database, attendance through a REST API, meal-fee payments as
CSV exports in a drop folder, procurement as OCDS releases, each read by its pull
connector; everything else through the push API. Once they all arrived, the demo
declares the end of its input, and the term's windows close.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
import yaml
from prometheus_client.parser import text_string_to_metric_families

from qinglian.settings import Settings
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def console_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and "清廉" in response.read().decode()
    except OSError:
        return False


def pulled_records(metrics_url: str) -> dict[str, float]:
    """Records each pull connector stored (accepted), from their /metrics; empty while it does not answer."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return {}
    return {
        sample.labels["connector"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "qinglian_ingest_connector_records_total"
        and sample.labels.get("result") == "accepted"
    }


def test_demo_brings_alerts_into_cases_the_console_answers_and_every_connector_pulls(
    kafka_settings: Settings,
) -> None:
    pull_metrics = free_port()
    with temporary_database(kafka_settings, prefix="qinglian_demo") as database_url:
        environment = {
            **os.environ,
            "QINGLIAN_TOPIC_PREFIX": f"demo{uuid.uuid4().hex[:6]}",
            "QINGLIAN_DATABASE_URL": database_url,
            "QINGLIAN_INGEST_PULL_METRICS_PORT": str(pull_metrics),
        }
        console_seen, demo_done = threading.Event(), threading.Event()
        pulled: dict[str, float] = {}

        def watch() -> None:
            """The console and the connector's counter, while the demo runs (its services stop with it)."""
            while not demo_done.is_set():
                if console_answers(f"http://127.0.0.1:{kafka_settings.alerting_port}/login"):
                    console_seen.set()
                pulled.update(pulled_records(f"http://127.0.0.1:{pull_metrics}/metrics"))
                time.sleep(1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        demo = subprocess.run(
            [
                sys.executable,
                "-m",
                "qinglian",
                "demo",
                "--duration",
                "90",
                "--schools",
                "20",
                "--days",
                "10",
                "--seconds-per-day",
                "4",
            ],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        demo_done.set()
        watcher.join(timeout=5)
        assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
        assert "inspector /" in demo.stdout, "the demo prints the console login"
        assert "推送 pushed" in demo.stdout, "the demo prints its progress line"
        assert "qinglian detectors clock" in demo.stdout, (
            "the demo declares the end of its input\n" + demo.stdout[-2000:]
        )
        assert console_seen.is_set(), "the console never answered during the demo"
        demo_connectors = yaml.safe_load(
            (kafka_settings.state_path / "demo" / "connectors.yaml").read_text(encoding="utf-8")
        )
        kinds = {entry["id"]: entry["kind"] for entry in demo_connectors["connectors"]}
        assert sorted(kinds.values()) == ["file_drop", "ocds", "rest_api", "staging_db"]
        idle = [f"{kinds[name]} ({name})" for name in kinds if pulled.get(name, 0) == 0]
        assert not idle, f"connectors that pulled nothing: {idle}\n" + demo.stdout[-2000:]

        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as connection:
                cases = connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
                alerts = connection.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
                term_ends = connection.execute(
                    sa.text("SELECT count(*) FROM alerts WHERE rule_id = 'C3'")
                ).scalar_one()
        finally:
            engine.dispose()
        assert cases > 0 and alerts >= cases, demo.stdout[-2000:]
        assert term_ends > 0, (
            "C3 (a term's canteen surplus) closes only at the term's end: the declaration closed it"
        )
