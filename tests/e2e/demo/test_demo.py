"""`qinglian demo --duration 60`: the whole pipeline on a simulated district, end to end."""

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

from qinglian.settings import Settings
from qinglian.stack.postgres import temporary_database

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def console_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and "清廉" in response.read().decode()
    except OSError:
        return False


def test_demo_brings_alerts_into_cases_and_the_console_answers(kafka_settings: Settings) -> None:
    with temporary_database(kafka_settings, prefix="qinglian_demo") as database_url:
        environment = {
            **os.environ,
            "QINGLIAN_TOPIC_PREFIX": f"demo{uuid.uuid4().hex[:6]}",
            "QINGLIAN_DATABASE_URL": database_url,
        }
        console_seen = threading.Event()

        def watch_console() -> None:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not console_seen.is_set():
                if console_answers(f"http://127.0.0.1:{kafka_settings.alerting_port}/login"):
                    console_seen.set()
                time.sleep(1)

        watcher = threading.Thread(target=watch_console, daemon=True)
        watcher.start()
        demo = subprocess.run(
            [sys.executable, "-m", "qinglian", "demo", "--duration", "60", "--schools", "20", "--days", "10",
             "--seconds-per-day", "4"],
            env=environment, capture_output=True, text=True, timeout=300, check=False,
        )
        watcher.join(timeout=5)
        assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
        assert "inspector /" in demo.stdout, "the demo prints the console login"
        assert console_seen.is_set(), "the console never answered during the demo"

        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as connection:
                cases = connection.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
                alerts = connection.execute(sa.text("SELECT count(*) FROM alerts")).scalar_one()
        finally:
            engine.dispose()
        assert cases > 0 and alerts >= cases, demo.stdout[-2000:]
