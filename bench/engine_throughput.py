"""The rule engine alone: every shipped rule over the simulator's district, in one process.

    .venv/bin/python -m bench.engine_throughput [--schools 100] [--days 3]

No Kafka and no faust: what the rules and the engine cost per event, the floor under every
runtime that feeds them (worker, replay). Measured twice on the same events, in fresh
processes: with CPython's default garbage-collector thresholds and with the detectors'
(``process_memory``: full collections a hundred times rarer). Printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from datetime import UTC, datetime

import orjson

from bench.detectors_common import simulator_mix
from bench.running import run_benchmark
from qinglian.settings import load_settings
from services.detectors.core.config import load_rule_set
from services.detectors.runtime.messages import to_json
from services.detectors.runtime.process_memory import collect_long_lived_state_less_often
from services.detectors.runtime.processor import AllRulesDetector
from services.detectors.runtime.records import Record

BATCH = 1000


def run(schools: int, days: int, tuned: bool) -> None:
    events = simulator_mix(load_settings(), schools, days)
    records = [
        Record("raw", 0, offset, None, e["schoolid"].encode(), to_json(e))
        for offset, e in enumerate(events)
    ]
    del events
    gc.collect()
    if tuned:
        collect_long_lived_state_less_often()
    detector = AllRulesDetector(load_rule_set(), on_rule_error=lambda error: None)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for index in range(0, len(records), BATCH):
        detector.process(records[index : index + BATCH], detected_at=now)
    seconds = time.perf_counter() - started
    detector.flush(detected_at=now)
    flush = time.perf_counter() - started - seconds
    print(orjson.dumps({"events": len(records), "seconds": seconds, "flush": flush}).decode())


def measure(schools: int, days: int) -> None:
    rates = {}
    for label in ("default", "tuned"):
        command = [
            sys.executable,
            "-m",
            "bench.engine_throughput",
            label,
            "--schools",
            str(schools),
            "--days",
            str(days),
        ]
        result = orjson.loads(
            subprocess.run(command, check=True, capture_output=True).stdout.splitlines()[-1]
        )
        rates[label] = result["events"] / result["seconds"]
        print(
            f"engine, {label:7} GC thresholds: {rates[label]:>8,.0f} events/s ({result['events']:,} events, "
            f"{schools} schools × {days} days; then {result['flush']:.1f} s firing every pending timer)"
        )
    print(f"ratio tuned / default: {rates['tuned'] / rates['default']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "role", nargs="?", choices=["measure", "default", "tuned"], default="measure"
    )
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--days", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.role == "measure":
        measure(arguments.schools, arguments.days)
    else:
        run(arguments.schools, arguments.days, tuned=arguments.role == "tuned")


if __name__ == "__main__":
    run_benchmark(main)
