"""The live path for the replay tests: the labelled stream published as it happened, a real
``qinglian detectors worker`` processing it, and snapshots of the broker to prove replay read-only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import typer
from kafka import TopicPartition

from qinglian import broker
from qinglian.cli.context import CliState
from qinglian.lag import LagExporter
from qinglian.metrics import new_registry
from qinglian.settings import Settings
from qinglian.stack.processes import free_port
from qinglian.topics import alerts_topic, raw_topic
from services.detectors.audit_replay.cli import replay
from services.detectors.core.eventtime import parse_time
from services.detectors.runtime.app import detectors_app_id, watched_topics
from tests.unit.audit_replay.labelled_stream import Label, labels_of

ROOT = Path(__file__).resolve().parents[3]


def processed_by_live_worker(
    settings: Settings,
    events: Sequence[dict[str, Any]],
    expected: Counter[Label],
    log_path: Path,
    *,
    timeout: float = 120.0,
) -> None:
    """Publish the events to the settings' fresh topics and run a live worker until it has read
    them all and published the ``expected`` alerts; the worker is stopped on return."""
    broker.ensure_topics(settings)
    worker = LiveWorker(settings, log_path)
    try:
        publish_as_it_happened(settings, events)
        wait_until(
            lambda: caught_up(settings) and labels_of(published_alerts(settings)) == expected,
            timeout=timeout,
            describe=lambda: (
                f"live alerts {labels_of(published_alerts(settings))}; worker log:\n{worker.log_tail()}"
            ),
        )
    finally:
        worker.stop()


def publish_as_it_happened(settings: Settings, events: Sequence[dict[str, Any]]) -> None:
    """Each event to its domain's raw topic, keyed by school, with its event time as Kafka time."""
    producer = broker.durable_producer(settings, client_id="test-audit-replay")
    try:
        for event in events:
            producer.send(
                raw_topic(settings, event["type"].split(".")[3]),
                key=event["schoolid"].encode(),
                value=orjson.dumps(event),
                timestamp_ms=int(parse_time(event["time"]).timestamp() * 1000),
            )
        producer.flush()
    finally:
        producer.close()


class LiveWorker:
    """``qinglian detectors worker`` (the shipped rules) in a subprocess, logging to a file."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.log_path = log_path
        env = {**os.environ, "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix}
        command = [
            sys.executable, "-m", "qinglian", "detectors", "worker",
            "--web-port", str(free_port()), "--metrics-port", str(free_port()),
        ]  # fmt: skip
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def caught_up(settings: Settings) -> bool:
    watched = watched_topics(settings)
    lag = LagExporter(settings, detectors_app_id(settings), watched, new_registry()).measure()
    return bool(lag) and not any(lag.values())


def published_alerts(settings: Settings) -> list[dict[str, Any]]:
    """The ``data`` of every alert on the alerts topic so far."""
    return [document["data"] for document in published_alert_events(settings)]


def published_alert_events(settings: Settings) -> list[dict[str, Any]]:
    """Every alert CloudEvent on the alerts topic so far."""
    reader = broker.consumer(settings, group_id=None)
    try:
        topic = alerts_topic(settings)
        partitions = [
            TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())
        ]
        reader.assign(partitions)
        ends = reader.end_offsets(partitions)
        reader.seek_to_beginning()
        alerts = []
        while any(reader.position(tp) < ends[tp] for tp in partitions):
            for records in reader.poll(timeout_ms=500).values():
                alerts.extend(orjson.loads(record.value) for record in records)
        return alerts
    finally:
        reader.close()


def replay_app() -> typer.Typer:
    """The ``replay`` command under a root that loads the settings as ``qinglian`` does."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config_file=None)

    app.command("replay")(replay)
    return app


def wait_until(
    condition: Callable[[], bool], *, timeout: float, describe: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s: {describe()}")


def broker_snapshot(settings: Settings) -> dict[str, Any]:
    """The end offset of every partition of the prefix's topics, the prefix's consumer groups, and
    the detector group's committed offsets: what a read-only replay must leave unchanged."""
    admin = broker.admin_client(settings)
    reader = broker.consumer(settings, group_id=None)
    try:
        topics = sorted(t for t in admin.list_topics() if t.startswith(f"{settings.topic_prefix}."))
        partitions = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(reader.partitions_for_topic(t) or ())
        ]
        groups = sorted(
            g[0] for g in admin.list_consumer_groups() if g[0].startswith(settings.topic_prefix)
        )
        committed = admin.list_consumer_group_offsets(detectors_app_id(settings))
        return {
            "end_offsets": {
                f"{tp.topic}/{tp.partition}": n for tp, n in reader.end_offsets(partitions).items()
            },
            "groups": groups,
            "committed": {
                f"{tp.topic}/{tp.partition}": meta.offset for tp, meta in committed.items()
            },
        }
    finally:
        reader.close()
        admin.close()
