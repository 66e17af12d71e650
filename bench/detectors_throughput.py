"""Detector throughput, memory and replay speed, in one run on the same broker and topics.

    .venv/bin/python -m bench.detectors_throughput [--schools 1000] [--days 3]

1. The simulator's district (all four domains) is published once to fresh raw topics.
2. A pass-through faust agent (same faust settings and batching, only decodes) reads them all:
   the runtime's own ceiling.
3. One detector worker with every rule of the shipped rules file reads the same topics; its
   peak RSS is read from /proc once it has caught up (state for every school).
4. Replay (plain kafka-python consumer + one engine, no faust) over the whole range, against
   a raw consume-and-decode of the same range.
Figures are printed, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import faust
import orjson
import uvloop

from bench.detectors_common import (
    BENCH_OPTIONS,
    Progress,
    follow_group,
    isolated_settings,
    passthrough_app,
    peak_rss_mb,
    publish_all,
    raw_topics,
    simulator_mix,
    start_process,
    stop,
)
from bench.machine import StealSampler
from bench.running import run_benchmark
from qinglian import broker
from qinglian.settings import Settings, load_settings
from qinglian.stack.processes import free_port
from services.detectors.core.config import load_rule_set
from services.detectors.runtime.app import detectors_app_id, watched_topics
from services.detectors.runtime.evaluate import delete_prefix
from services.detectors.runtime.replay import replay
from services.detectors.runtime.worker import run_worker


def raw_consume_and_decode(settings: Settings) -> Progress:
    reader = broker.consumer(
        settings, group_id=None, max_poll_records=5000, fetch_max_bytes=64 * 1024 * 1024
    )
    partitions = broker.topic_partitions(reader, raw_topics(settings))
    reader.assign(partitions)
    reader.seek_to_beginning()
    ends = reader.end_offsets(partitions)
    remaining = {tp for tp in partitions if ends[tp] > 0}
    count = 0
    started = time.perf_counter()
    while remaining:
        for tp, records in reader.poll(timeout_ms=500).items():
            for record in records:
                orjson.loads(record.value)
            count += len(records)
            if records[-1].offset + 1 >= ends[tp]:
                remaining.discard(tp)
    seconds = time.perf_counter() - started
    reader.close()
    return Progress(count, seconds)


def timed_replay(settings: Settings) -> None:
    """Prints one JSON line: the replay's own process, so the benchmark's copy of the
    simulated district (millions of objects) does not slow its garbage collector."""
    started = time.perf_counter()
    result = replay(settings, load_rule_set(), start=None, end=None, detected_at=datetime.now(UTC))
    seconds = time.perf_counter() - started
    print(
        orjson.dumps(
            {
                "events": result.events + len(result.rejected),
                "seconds": seconds,
                "alerts": len(result.alerts),
            }
        ).decode()
    )


def replay_in_subprocess(settings: Settings, here: list[str], log: Path) -> tuple[Progress, int]:
    process = start_process(settings, [*here, "replay"], log, stdout=subprocess.PIPE)
    output, _ = process.communicate()
    measured = orjson.loads(output.splitlines()[-1])
    return Progress(measured["events"], measured["seconds"]), measured["alerts"]


def measure(schools: int, days: int, logs: Path) -> None:
    settings = isolated_settings("throughput")
    try:
        started = time.perf_counter()
        events = simulator_mix(settings, schools, days)
        print(
            f"simulator: {len(events)} events, {schools} schools × {days} days ({time.perf_counter() - started:.1f} s)"
        )
        print(f"published in {publish_all(settings, events):.1f} s")
        total = len(events)
        del events

        here = [sys.executable, "-m", "bench.detectors_throughput"]
        with StealSampler() as during_passthrough:
            passthrough = start_process(settings, [*here, "passthrough"], logs / "passthrough.log")
            ceiling = follow_group(
                settings, f"{settings.topic_prefix}.passthrough", raw_topics(settings), total
            )
            ceiling_rss = peak_rss_mb(passthrough.pid)
            stop(passthrough)

        with StealSampler() as during_worker:
            worker = start_process(settings, [*here, "worker"], logs / "worker.log")
            watched = watched_topics(settings)
            detectors = follow_group(
                settings,
                detectors_app_id(settings),
                watched,
                total,
                timeout=max(900.0, total / 500),
            )
            rss = peak_rss_mb(worker.pid)
            stop(worker)

        with StealSampler() as during_replay:
            raw = raw_consume_and_decode(settings)
            replayed, alerts = replay_in_subprocess(settings, here, logs / "replay.log")

        print(
            f"pass-through faust agent (decode only): {ceiling.rate:,.0f} events/s ({ceiling.events} in {ceiling.seconds:.1f} s)"
        )
        print(
            f"detector worker, all rules:              {detectors.rate:,.0f} events/s ({detectors.events} in {detectors.seconds:.1f} s)"
        )
        print(
            f"  ratio worker / pass-through:           {detectors.rate / ceiling.rate:.0%} (target ≥ 80 %)"
        )
        print(
            f"  worker peak RSS, {schools} schools:       {rss:.0f} MB (target < 300 MB; pass-through agent: {ceiling_rss:.0f} MB)"
        )
        print(
            f"raw consume-and-decode (kafka-python):   {raw.rate:,.0f} events/s ({raw.events} in {raw.seconds:.1f} s)"
        )
        print(
            f"replay (plain consumer + engine):        {replayed.rate:,.0f} events/s ({replayed.events} in {replayed.seconds:.1f} s, {alerts} alerts)"
        )
        print(
            f"  ratio replay / raw:                    {replayed.rate / raw.rate:.0%} (target ≥ 50 %)"
        )
        print(f"machine: pass-through {during_passthrough.line()}")
        print(f"         worker {during_worker.line()}")
        print(f"         raw and replay {during_replay.line()}")
    finally:
        delete_prefix(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "role", nargs="?", choices=["measure", "passthrough", "worker", "replay"], default="measure"
    )
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--logs", type=Path, default=Path("/tmp"))
    arguments = parser.parse_args()
    if arguments.role == "passthrough":
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())  # as run_worker does
        settings = load_settings()
        worker = faust.Worker(
            passthrough_app(settings, f"{settings.topic_prefix}.passthrough", free_port()),
            loglevel="warning",
            quiet=True,
        )
        worker.execute_from_commandline()
    elif arguments.role == "worker":
        options = dataclasses.replace(BENCH_OPTIONS, web_port=free_port())
        run_worker(load_settings(), load_rule_set(), metrics_port=free_port(), options=options)
    elif arguments.role == "replay":
        timed_replay(load_settings())
    else:
        measure(arguments.schools, arguments.days, arguments.logs)


if __name__ == "__main__":
    run_benchmark(main)
