"""`qinglian stack up | down | status`: start, stop and inspect the local stack as a whole."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from qinglian import broker
from qinglian.errors import BrokerUnavailable
from qinglian.settings import Settings
from qinglian.stack import kafka, postgres
from qinglian.stack.processes import port_open


@dataclass(frozen=True, slots=True)
class PartStatus:
    name: str
    healthy: bool
    detail: str


def up(settings: Settings, report=lambda message: None) -> None:
    report("Kafka (KRaft): fetching jars if needed and starting …")
    pid = kafka.start(settings)
    report(f"Kafka up: 127.0.0.1:{settings.kafka_port} (pid {pid})")
    created = broker.ensure_topics(settings)
    report(f"Topics: {len(created)} created" if created else "Topics: all present")
    broker.wait_for_group_coordinator(settings)
    report("PostgreSQL: starting …")
    pid = postgres.start(settings)
    report(f"PostgreSQL up: {postgres.database_url(settings)} (pid {pid})")


def down(settings: Settings, report=lambda message: None) -> None:
    # Stop in reverse order of `up`; each part only stops the PID it recorded.
    for name, part in (("PostgreSQL", postgres), ("Kafka", kafka)):
        stopped = part.stop(settings)
        report(f"{name}: {'stopped' if stopped else 'was not running'}")


def status(settings: Settings) -> list[PartStatus]:
    return [_kafka_status(settings), _postgres_status(settings)]


def _kafka_status(settings: Settings) -> PartStatus:
    pid = kafka.running_pid(settings)
    where = f"127.0.0.1:{settings.kafka_port}"
    if pid is None:
        return PartStatus("kafka", False, f"not running (expected at {where})")
    if not port_open(settings.kafka_port):
        return PartStatus("kafka", False, f"pid {pid} running but {where} does not answer")
    try:
        missing = broker.missing_topics(settings)
    except BrokerUnavailable as exc:
        return PartStatus("kafka", False, f"pid {pid}: {exc}")
    if missing:
        return PartStatus(
            "kafka", False, f"pid {pid} at {where}; missing topics: {', '.join(missing)}"
        )
    return PartStatus("kafka", True, f"pid {pid} at {where}, all topics present")


def _postgres_status(settings: Settings) -> PartStatus:
    pid = postgres.running_pid(settings)
    url = postgres.database_url(settings)
    if pid is None:
        return PartStatus(
            "postgresql", False, f"not running (expected at 127.0.0.1:{settings.postgres_port})"
        )
    try:
        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3) as connection:
            version = connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as exc:
        return PartStatus(
            "postgresql", False, f"pid {pid} running but not answering: {exc}".splitlines()[0]
        )
    return PartStatus("postgresql", True, f"pid {pid}, PostgreSQL {version} at {url}")
