"""Push API throughput and latency against the raw kafka-python producer, on one broker in one run.

    .venv/bin/python -m bench.push_api [--events 50000] [--batch 500] [--clients 4] [--rounds 5]
                                       [--latency-seconds 40]

1. Throughput: signed batches of --batch events (validated, pseudonymized, acks=all,
   deduplicated in PostgreSQL) posted by --clients concurrent clients to a real
   `qinglian ingest serve` process with its default workers (one per core).
2. Baseline: the raw kafka-python producer (acks=all, idempotent) sending the same
   pseudonymized payloads to the same broker.
   Throughput and baseline alternate for --rounds rounds of --events each; the medians
   are printed. The ratio is the median of each round's push rate over the baseline
   measured right after it: the shared cores' speed drifts within a run (rounds of one
   run moved by up to a third), and a push round and its baseline drift together.
3. Latency: p50/p99 request latency of the push API at half its measured throughput, over
   --latency-seconds of paced requests (40 s: some 800 requests at 10,000 events/s, so the
   p99 is an order statistic of several slow requests, not the single slowest one).
4. Where the CPU goes: per event, in the push API's processes, PostgreSQL, the broker and
   this process (load generator or raw producer), over the timed part of every round.
5. The machine: the CPU time the hypervisor took ("steal"), over the rounds and over the
   latency phase, whose tail follows it on a shared virtual machine.

Needs the local stack (`qinglian stack up`). Topics get a fresh prefix and the
dedup store a fresh database, both removed afterwards. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import psutil

from bench.machine import StealSampler
from bench.running import run_benchmark
from bench.stats import percentile
from contracts.pii import pseudonymize
from qinglian import broker
from qinglian.settings import Settings, load_settings, project_root
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port, wait_until
from qinglian.topics import raw_topic, topic_specs
from services.ingest.domain.signature import signing_headers
from services.ingest.domain.sources import SigningKey

SOURCE_ID = "bench-finance"
SECRET = b"bench-secret-not-for-production"
EXAMPLE_TYPES = ("payment_voucher", "invoice", "fee_charge", "reimbursement")


def make_events(count: int) -> list[dict]:
    examples = [
        json.loads(
            (
                project_root()
                / "contracts"
                / "examples"
                / f"cn.edu.qinglian.finance.{name}.v1.json"
            ).read_text()
        )
        for name in EXAMPLE_TYPES
    ]
    return [{**examples[i % len(examples)], "id": str(uuid.uuid4())} for i in range(count)]


PARTS = ("push API", "PostgreSQL", "broker", "benchmark")


class CpuMeter:
    """CPU time (user + system) the parts of the run spend between ``start`` and ``stop``: the push
    API (its serving process and workers), PostgreSQL, the broker, and this process (the load
    generator, or the raw producer). The two cores are saturated during a push round, so where
    the CPU goes per event explains the ratio. A process that exits meanwhile is not counted."""

    def __init__(self, server_pid: int) -> None:
        self._server_pid = server_pid
        self._started: dict[int, tuple[str, float]] = {}

    def start(self) -> None:
        self._started = self._snapshot()

    def stop(self) -> dict[str, float]:
        """The seconds each part spent since ``start``."""
        spent = dict.fromkeys(PARTS, 0.0)
        for pid, (part, seconds) in self._snapshot().items():
            spent[part] += seconds - self._started.get(pid, (part, 0.0))[1]
        return spent

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        server = {
            self._server_pid,
            *(child.pid for child in psutil.Process(self._server_pid).children(recursive=True)),
        }
        snapshot = {}
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            part = _part(process, server)
            if part is not None and process.info["cpu_times"] is not None:
                times = process.info["cpu_times"]
                snapshot[process.pid] = (part, times.user + times.system)
        return snapshot


def _part(process: psutil.Process, server: set[int]) -> str | None:
    if process.pid in server:
        return "push API"
    if process.pid == os.getpid():
        return "benchmark"
    if process.info["name"] == "postgres":
        return "PostgreSQL"
    if "kafka.Kafka" in (process.info["cmdline"] or ()):
        return "broker"
    return None


class CpuPerEvent:
    """CPU seconds by part, summed over the rounds of one kind (push or raw), and their events."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.events = 0

    @contextlib.contextmanager
    def counting(self, meter: CpuMeter, events: int) -> Iterator[None]:
        """Adds what the parts spend inside the block, in which ``events`` are sent."""
        meter.start()
        yield
        for part, seconds in meter.stop().items():
            self.seconds[part] += seconds
        self.events += events

    def line(self, names: dict[str, str]) -> str:
        """µs per event of the parts ``names`` shows (part → name), and their total."""
        per_event = {part: self.seconds[part] / self.events * 1e6 for part in names}
        shown = ", ".join(f"{name} {per_event[part]:.1f}" for part, name in names.items())
        return f"{shown}; total {sum(per_event.values()):.1f} µs"


class PushServer:
    def __init__(self, settings: Settings, database_url: str, workdir: Path) -> None:
        sources = workdir / "sources.yaml"
        sources.write_text(
            "sources:\n"
            f"  - id: {SOURCE_ID}\n    name: bench\n"
            f"    keys: [{{id: k1, secret: {SECRET.decode()}}}]\n"
            '    event_types: ["cn.edu.qinglian.finance.*"]\n    school_ids: ["*"]\n'
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix,
            "QINGLIAN_DATABASE_URL": database_url,
            "QINGLIAN_INGEST_METRICS_PORT": str(free_port()),
            "QINGLIAN_LOG_LEVEL": "warning",
        }
        subprocess.run(
            [sys.executable, "-m", "qinglian", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qinglian",
                "ingest",
                "serve",
                "--sources",
                str(sources),
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / "ingest.log", "wb"),  # noqa: SIM115
        )
        wait_until(self._answers, timeout=60, what="the push API", log_path=workdir / "ingest.log")

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


Request = tuple[int, bytes, dict[str, str]]  # events in the body, body, headers


def signed_requests(events: list[dict], batch: int) -> list[Request]:
    """Request bodies serialized and signed before the clock starts: the load generator shares the
    two cores with the server (a real sender is another machine)."""
    requests = []
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        body = orjson.dumps(chunk)
        signature = signing_headers(SOURCE_ID, SigningKey("k1", SECRET), body, datetime.now(UTC))
        requests.append((len(chunk), body, {"Content-Type": "application/json", **signature}))
    return requests


def post_batch(client: httpx.Client, url: str, request: Request) -> float:
    _, body, headers = request
    started = time.perf_counter()
    response = client.post(f"{url}/v1/events", content=body, headers=headers, timeout=60)
    elapsed = time.perf_counter() - started
    results = orjson.loads(response.content)["results"]
    if response.status_code != 200 or any(item["status"] != "accepted" for item in results):
        raise SystemExit(f"push failed: {response.status_code} {response.text[:300]}")
    return elapsed


def push_throughput(
    url: str, batches: list[Request], clients: int, meter: CpuMeter, cpu: CpuPerEvent
) -> tuple[float, list[float]]:
    warm_up, measured = batches[:clients], batches[clients:]
    events = sum(count for count, _, _ in measured)
    with httpx.Client() as client, ThreadPoolExecutor(clients) as pool:
        # Warm-up, one batch per client at once: the connections exist, and the server's worker
        # processes (each with its own producer and validators) have all but surely served one.
        list(pool.map(lambda request: post_batch(client, url, request), warm_up))
        with cpu.counting(meter, events):
            started = time.perf_counter()
            latencies = list(pool.map(lambda request: post_batch(client, url, request), measured))
            elapsed = time.perf_counter() - started
    return events / elapsed, latencies


def raw_producer_rate(
    settings: Settings, events: list[dict], meter: CpuMeter, cpu: CpuPerEvent
) -> float:
    key = settings.pseudonym_key.get_secret_value().encode()
    payloads = [
        (event["schoolid"].encode(), orjson.dumps(pseudonymize(event, key))) for event in events
    ]
    producer = broker.durable_producer(settings, client_id="bench-raw")
    topic = raw_topic(settings, "finance")
    headers = [(broker.CONTENT_TYPE_HEADER, broker.CLOUDEVENTS_CONTENT_TYPE)]
    try:
        producer.send(topic, key=payloads[0][0], value=payloads[0][1], headers=headers).get(
            timeout=30
        )
        with cpu.counting(meter, len(payloads)):
            started = time.perf_counter()
            futures = [producer.send(topic, key=k, value=v, headers=headers) for k, v in payloads]
            for future in futures:
                future.get(timeout=60)
            elapsed = time.perf_counter() - started
        return len(payloads) / elapsed
    finally:
        producer.close()


def paced_latencies(url: str, batches: list[Request], events_per_second: float) -> list[float]:
    interval = batches[0][0] / events_per_second
    latencies: list[float] = []
    lock = threading.Lock()
    with httpx.Client() as client, ThreadPoolExecutor(8) as pool:

        def send(request: Request) -> None:
            elapsed = post_batch(client, url, request)
            with lock:
                latencies.append(elapsed)

        start = time.perf_counter()
        sent = []
        for index, batch in enumerate(batches):
            delay = start + index * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent.append(pool.submit(send, batch))
        for request in sent:
            request.result()  # a failed push stops the run instead of silently dropping its latency
    return latencies


def rounds(rates: list[float]) -> str:
    return " / ".join(f"{rate:,.0f}" for rate in rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-seconds", type=float, default=40.0)
    arguments = parser.parse_args()

    settings = load_settings(topic_prefix=f"bench{uuid.uuid4().hex[:6]}")
    broker.ensure_topics(settings)
    try:
        with (
            temporary_database(settings, prefix="qinglian_bench") as database_url,
            tempfile.TemporaryDirectory() as tmp,
        ):
            server = PushServer(settings, database_url, Path(tmp))
            try:
                push_rates, raw_rates, loaded = [], [], []
                meter, push_cpu, raw_cpu = (
                    CpuMeter(server.process.pid),
                    CpuPerEvent(),
                    CpuPerEvent(),
                )
                with StealSampler() as during_rounds:
                    for _ in range(arguments.rounds):
                        batches = signed_requests(make_events(arguments.events), arguments.batch)
                        push_rate, latencies = push_throughput(
                            server.url, batches, arguments.clients, meter, push_cpu
                        )
                        push_rates.append(push_rate)
                        loaded += latencies
                        raw_rates.append(
                            raw_producer_rate(
                                settings, make_events(arguments.events), meter, raw_cpu
                            )
                        )
                push_rate, raw_rate = statistics.median(push_rates), statistics.median(raw_rates)
                half_load = signed_requests(
                    make_events(int(push_rate / 2 * arguments.latency_seconds)), arguments.batch
                )
                with StealSampler() as during_latency:
                    paced = paced_latencies(server.url, half_load, push_rate / 2)
            finally:
                server.stop()
    finally:
        admin = broker.admin_client(settings)
        admin.delete_topics([spec.name for spec in topic_specs(settings)])
        admin.close()

    print(
        f"push API            {push_rate:>10,.0f} events/s  (median of {rounds(push_rates)}; {arguments.events:,} events "
        f"a round, batches of {arguments.batch}, {arguments.clients} clients; request p50 "
        f"{statistics.median(loaded) * 1000:.0f} ms)"
    )
    print(
        f"raw kafka-python    {raw_rate:>10,.0f} events/s  (median of {rounds(raw_rates)}; acks=all, idempotent, "
        "same payloads)"
    )
    ratios = [push / raw for push, raw in zip(push_rates, raw_rates, strict=True)]
    print(
        f"ratio               {statistics.median(ratios):>10.2f}  (median of each round's ratio: "
        f"{' / '.join(f'{ratio:.2f}' for ratio in ratios)}; target ≥ 0.60)"
    )
    print("CPU per event, all rounds")
    print(
        "  push: "
        + push_cpu.line(
            {
                "push API": "API workers",
                "PostgreSQL": "PostgreSQL",
                "broker": "broker",
                "benchmark": "load generator",
            }
        )
    )
    print("  raw:  " + raw_cpu.line({"benchmark": "producer", "broker": "broker"}))
    print(
        f"at half load        {push_rate / 2:>10,.0f} events/s: request latency p50 "
        f"{percentile(paced, 0.5) * 1000:.0f} ms, p99 {percentile(paced, 0.99) * 1000:.0f} ms (target p99 < 100 ms), "
        f"max {max(paced) * 1000:.0f} ms over {len(paced):,} requests"
    )
    print(f"machine             rounds: {during_rounds.line()}; latency: {during_latency.line()}")


if __name__ == "__main__":
    run_benchmark(main)
