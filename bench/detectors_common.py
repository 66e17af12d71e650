"""Shared plumbing for the detector benchmarks: the event mix, isolated topics, worker processes,
consumer-group progress and a pass-through faust app (the runtime's own ceiling).

Throughput is measured the same way for every faust process: from the first moment its consumer
group has committed anything to the moment its lag is zero, so start-up and the first rebalance
do not count, and events/s = events processed in between / seconds in between.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import faust
import orjson

from qinglian import broker
from qinglian.lag import LagExporter
from qinglian.metrics import new_registry
from qinglian.settings import Settings, load_settings
from qinglian.topics import DOMAINS, raw_topic
from services.detectors.runtime.app import RuntimeOptions, backlog_buffers, state_directory
from services.detectors.runtime.evaluate import simulate_district

ROOT = Path(__file__).resolve().parent.parent
BENCH_OPTIONS = RuntimeOptions(
    session_timeout=10.0, rebalance_timeout=10.0, heartbeat_interval=1.0, commit_interval=0.5
)


def isolated_settings(label: str) -> Settings:
    settings = load_settings()
    scoped = settings.model_copy(
        update={"topic_prefix": f"{settings.topic_prefix}.bench-{label}-{uuid.uuid4().hex[:6]}"}
    )
    broker.ensure_topics(scoped)
    return scoped


def simulator_mix(settings: Settings, schools: int, days: int) -> list[dict]:
    """The simulator's district, pseudonymized as ingest does, in event-time order, without the
    procurement platform's 60-day lead-in (which alone is most of a short scenario's events)."""
    from services.ingest.simulator.scenario import DEFAULT_START

    key = settings.pseudonym_key.get_secret_value().encode()
    events = simulate_district(key, schools=schools, days=days).events
    return [
        event for event in events if datetime.fromisoformat(event["time"]).date() >= DEFAULT_START
    ]


def publish_all(settings: Settings, events: list[dict]) -> float:
    """Publish to the raw topics keyed by school id; returns seconds taken."""
    producer = broker.durable_producer(
        settings, client_id="bench", linger_ms=50, batch_size=512 * 1024
    )
    started = time.perf_counter()
    for event in events:
        producer.send(
            raw_topic(settings, event["type"].split(".")[3]),
            key=event["schoolid"].encode(),
            value=orjson.dumps(event),
        )
    producer.flush()
    producer.close()
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Progress:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")


def follow_group(
    settings: Settings, group: str, topics: list[str], total: int, *, timeout: float = 900.0
) -> Progress:
    """Events processed per second by ``group`` between its first commit and zero lag on ``topics``."""
    exporter = LagExporter(settings, group, topics, new_registry())
    deadline = time.monotonic() + timeout
    first: tuple[float, int] | None = None
    while time.monotonic() < deadline:
        lag = exporter.measure()
        now = time.monotonic()
        remaining = sum(lag.values())
        raw_remaining = sum(n for tp, n in lag.items() if tp.topic in topics[: len(DOMAINS)])
        if first is None and raw_remaining < total:
            first = (now, total - raw_remaining)
        if first is not None and remaining == 0:
            return Progress(total - first[1], now - first[0])
        time.sleep(0.25)
    raise TimeoutError(f"group {group} did not catch up within {timeout:.0f} s")


def raw_topics(settings: Settings) -> list[str]:
    return [raw_topic(settings, domain) for domain in DOMAINS]


def start_process(
    settings: Settings, command: list[str], log: Path, *, stdout: int | None = None
) -> subprocess.Popen:
    """``command`` on the benchmark's topics; its log (and its output, unless ``stdout``) to ``log``."""
    env = {
        **os.environ,
        "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix,
        "QINGLIAN_LOG_FORMAT": "json",
    }
    with log.open("ab") as handle:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=stdout or handle, stderr=handle)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def passthrough_app(settings: Settings, app_id: str, web_port: int) -> faust.App:
    """The same faust settings and batching as the detector worker, but the agent only decodes."""
    options = BENCH_OPTIONS
    datadir = state_directory(settings, app_id, web_port)
    app = faust.App(
        app_id,
        broker=[f"kafka://{s.strip()}" for s in settings.kafka_bootstrap_servers.split(",")],
        store="memory://",
        datadir=str(datadir),
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=options.session_timeout,
        broker_rebalance_timeout=options.rebalance_timeout,
        broker_heartbeat_interval=options.heartbeat_interval,
        broker_commit_interval=options.commit_interval,
        producer_linger=options.producer_linger,
        web_enabled=False,
        web_port=web_port,
        **backlog_buffers(options),
    )
    source = app.topic(*raw_topics(settings), key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="decode-only")
    async def decode_only(stream: faust.StreamT) -> None:
        async for events in stream.take_events(options.batch_size, within=options.batch_within):
            for event in events:
                orjson.loads(event.message.value)

    return app
