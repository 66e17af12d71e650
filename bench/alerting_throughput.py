"""Alerting throughput (alerts/s from Kafka into cases on PostgreSQL) and inbox API latency at 100,000 cases.

    .venv/bin/python -m bench.alerting_throughput [--alerts 120000] [--cases 100000] [--batch 500] [--requests 300]

1. Throughput: --alerts contract-valid alerts on the alerts topic (--cases distinct
   school × rule × subject keys, so the rest add evidence to open cases) are read by the
   service's own consumer loop (`consume_alerts`: decode, one transaction per batch,
   offsets committed after the commit) into a fresh PostgreSQL database. The clock
   starts at the first stored alert, so consumer-group start-up is not counted.
2. Latency: a real `qinglian alerting serve` process on that database; a district
   inspector, whose scope holds every case, pages the inbox over HTTP with a bearer
   token (first page, filters, a deep page), one request at a time; p50 and p99 per query.

Needs the local stack (`qinglian stack up`). Topics get a fresh prefix (and with it their
own consumer group) and the cases a fresh database, both removed afterwards. Prints the
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.running import run_benchmark
from bench.stats import percentile
from qinglian import broker
from qinglian.settings import Settings, load_settings
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port, wait_until
from qinglian.topics import alerts_topic, deadletter_topic, topic_specs
from services.alerting.adapters import migrator
from services.alerting.adapters.alert_codec import encode_alert_event
from services.alerting.adapters.alert_consumer import ConsumerTuning
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import bootstrap
from services.alerting.domain.alerts import RiskArea, Severity, Subject, SubjectKind
from services.alerting.entrypoints.consumer import consume_alerts
from services.alerting.testing import add_sample_users, sample_alert

SCHOOLS = 50
RULES = (
    ("C6", RiskArea.CANTEEN),
    ("C1", RiskArea.CANTEEN),
    ("P3", RiskArea.PROCUREMENT),
    ("F1", RiskArea.FINANCE),
    ("E2", RiskArea.ENROLLMENT),
)
SEVERITIES = (Severity.RED, Severity.ORANGE, Severity.ORANGE, Severity.YELLOW, Severity.YELLOW)
QUERIES = {
    "first page": {},
    "severity=red": {"severity": "red"},
    "risk_area=finance": {"risk_area": "finance"},
    "school_id=500102007": {"school_id": "500102007"},
    "overdue": {"overdue": "true"},
    "offset=10000": {"offset": "10000"},
}


def alert_values(count: int, distinct: int) -> list[tuple[bytes, bytes]]:
    """(key, value) records; alert i has key number i % distinct, spread over schools, rules and subjects."""
    records = []
    for i in range(count):
        k = i % distinct
        rule_id, area = RULES[(k // SCHOOLS) % len(RULES)]
        school = f"500102{k % SCHOOLS + 1:03d}"
        alert = sample_alert(
            alert_id=f"al-bench-{i:08d}",
            school_id=school,
            rule_id=rule_id,
            risk_area=area,
            severity=SEVERITIES[i % len(SEVERITIES)],
            subject=Subject(SubjectKind.VENDOR, f"91500102MA{k // (SCHOOLS * len(RULES)):08d}"),
        )
        records.append((school.encode(), encode_alert_event(alert)))
    return records


def produce(settings: Settings, records: list[tuple[bytes, bytes]]) -> float:
    producer = broker.durable_producer(settings, client_id="bench-alerting")
    started = time.perf_counter()
    try:
        for key, value in records:
            producer.send(alerts_topic(settings), key=key, value=value)
        producer.flush()
    finally:
        producer.close()
    return time.perf_counter() - started


def stored(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.text("SELECT count(*) FROM alerts")) or 0)


def consume_rate(settings: Settings, total: int, batch: int) -> tuple[float, float, int]:
    """Run the consumer loop until every alert is stored; returns (alerts/s, seconds, cases)."""
    service = bootstrap(settings)
    stop = threading.Event()
    thread = threading.Thread(
        target=consume_alerts,
        args=(settings, service),
        kwargs={"stop": stop, "tuning": ConsumerTuning(batch_size=batch)},
        daemon=True,
    )
    engine = sa.create_engine(settings.database_url)
    thread.start()
    try:
        while stored(engine) == 0:
            time.sleep(0.05)
        first, started = stored(engine), time.perf_counter()
        while (count := stored(engine)) < total:
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        with engine.connect() as connection:
            cases = int(connection.scalar(sa.text("SELECT count(*) FROM cases")) or 0)
    finally:
        stop.set()
        thread.join(timeout=60)
        engine.dispose()
    return (count - first) / elapsed, elapsed, cases


def inbox_latencies(settings: Settings, requests: int, workdir: Path) -> dict[str, list[float]]:
    setup = bootstrap(settings, hasher=Argon2Hasher.for_tests())
    add_sample_users(setup)
    token, _ = setup.issue_token("inspector", "bench")
    port = free_port()
    environment = {
        **os.environ,
        "QINGLIAN_DATABASE_URL": settings.database_url,
        "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix,
        "QINGLIAN_ALERTING_PORT": str(port),
        "QINGLIAN_ALERTING_METRICS_PORT": str(free_port()),
        "QINGLIAN_ALERTING_ATTACHMENTS_DIR": str(workdir / "attachments"),
        "QINGLIAN_LOG_FORMAT": "json",
        "QINGLIAN_LOG_LEVEL": "warning",
    }
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "qinglian", "alerting", "serve"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _answers(f"{base}/healthz"),
            60,
            "qinglian alerting serve",
            workdir / "serve.log",
        )
        latencies: dict[str, list[float]] = {}
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            for name, params in QUERIES.items():
                for _ in range(20):
                    client.get("/api/v1/cases", params=params).raise_for_status()
                samples = []
                for _ in range(requests):
                    started = time.perf_counter()
                    client.get("/api/v1/cases", params=params).raise_for_status()
                    samples.append(time.perf_counter() - started)
                latencies[name] = samples
        return latencies
    finally:
        process.terminate()
        process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=120_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--requests", type=int, default=300, help="requests per inbox query")
    args = parser.parse_args()

    base = load_settings()
    prefix = f"qlbench{uuid.uuid4().hex[:8]}"
    with (
        temporary_database(base, prefix="qinglian_bench") as url,
        tempfile.TemporaryDirectory() as workdir,
    ):
        settings = load_settings(topic_prefix=prefix, database_url=url)
        names = (alerts_topic(settings), deadletter_topic(settings))
        broker.ensure_topics(
            settings, [spec for spec in topic_specs(settings) if spec.name in names]
        )
        migrator.upgrade(url)
        try:
            print(f"encoding {args.alerts:,} alerts ({args.cases:,} distinct cases)…", flush=True)
            records = alert_values(args.alerts, args.cases)
            seconds = produce(settings, records)
            print(
                f"produced to {alerts_topic(settings)} in {seconds:.1f}s ({args.alerts / seconds:,.0f}/s)"
            )
            rate, elapsed, cases = consume_rate(settings, args.alerts, args.batch)
            print(
                f"THROUGHPUT  {rate:,.0f} alerts/s into PostgreSQL "
                f"({args.alerts:,} alerts → {cases:,} cases in {elapsed:.1f}s, batch {args.batch}; target ≥ 2,000/s)"
            )
            latencies = inbox_latencies(settings, args.requests, Path(workdir))
            print(
                f"INBOX API   district inspector, {cases:,} cases in scope, {args.requests} requests each (target p99 < 200 ms)"
            )
            for name, samples in latencies.items():
                print(
                    f"  {name:<22} p50 {statistics.median(samples) * 1000:6.1f} ms   "
                    f"p99 {percentile(samples, 0.99) * 1000:6.1f} ms   max {max(samples) * 1000:6.1f} ms"
                )
        finally:
            admin = broker.admin_client(settings)
            try:
                admin.delete_topics(list(names))
                admin.delete_consumer_groups([f"{prefix}-alerting"])
            finally:
                admin.close()


if __name__ == "__main__":
    run_benchmark(main)
