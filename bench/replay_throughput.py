"""The auditor's replay over a range of 1,000,000 events, against a raw consume-and-decode of it.

    .venv/bin/python -m bench.replay_throughput [--events 1000000] [--schools 45] [--days 420] [--rule P4 ...]

1. The simulator's district is generated lazily, pseudonymized as ingest does, and published as it
   happened (each record's Kafka time is its event time) to fresh raw topics under a unique topic
   prefix by kafka-python's lz4 producer, until ``--events`` events are out. The default district
   is 45 schools over 420 days (a little over a million events): a few hundred schools would make
   the district-wide OCDS population rules, whose cost grows with the district's open processes,
   dominate the figure.
2. Raw consume-and-decode: replay's own reader over the range, decoding every record, no rules.
3. Replay: what ``qinglian replay`` runs over the same range (every rule of the shipped rules file,
   the comparison with the alerts topic, the report), with its progress bar on stderr.

The topics are deleted afterwards. Figures are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import orjson
from tqdm import tqdm

from bench.detectors_common import isolated_settings
from bench.running import run_benchmark
from contracts.pii import pseudonymize
from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import raw_topic
from services.detectors.audit_replay.cli import replay_progress
from services.detectors.audit_replay.kafka_reading import KafkaSources
from services.detectors.audit_replay.run import plan_request, run_replay
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.eventtime import parse_time
from services.detectors.runtime.evaluate import delete_prefix
from services.detectors.runtime.records import decode_event


def simulated_events(settings: Settings, schools: int, days: int) -> Iterator[dict[str, Any]]:
    from services.ingest.simulator.emissions import SimulatedEvent
    from services.ingest.simulator.scenario import Scenario
    from services.ingest.simulator.simulation import simulate

    key = settings.pseudonym_key.get_secret_value().encode()
    for emission in simulate(Scenario(schools=schools, days=days, pseudonym_key=key)):
        if isinstance(emission, SimulatedEvent):
            yield pseudonymize(emission.event, key)


def publish_as_it_happened(
    settings: Settings, events: Iterator[dict[str, Any]]
) -> tuple[int, datetime, datetime, float]:
    """Publish keyed by school with the event time as Kafka time; (count, first, last event time, seconds)."""
    producer = broker.durable_producer(
        settings, client_id="bench-replay", linger_ms=50, batch_size=512 * 1024
    )
    count, first, last = 0, datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)
    started = time.perf_counter()
    for event in tqdm(
        events, desc="发布 / publish", unit="event", unit_scale=True, file=sys.stderr, mininterval=1
    ):
        moment = parse_time(event["time"])
        first, last, count = min(first, moment), max(last, moment), count + 1
        producer.send(
            raw_topic(settings, event["type"].split(".")[3]),
            key=event["schoolid"].encode(),
            value=orjson.dumps(event),
            timestamp_ms=int(moment.timestamp() * 1000),
        )
    producer.flush()
    producer.close()
    return count, first, last, time.perf_counter() - started


def consume_and_decode(
    settings: Settings, audit_range: AuditRange, topics: tuple[str, ...]
) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for record in KafkaSources(settings).records(
        topics, start=audit_range.read_start, end=audit_range.read_end
    ):
        decode_event(record)
        count += 1
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=45)
    parser.add_argument("--days", type=int, default=420)
    parser.add_argument(
        "--rule", action="append", default=[], help="only these rules (default: every rule)"
    )
    options = parser.parse_args()

    settings = isolated_settings("replay")
    try:
        events = islice(simulated_events(settings, options.schools, options.days), options.events)
        count, first, last, seconds = publish_as_it_happened(settings, events)
        print(
            f"published {count:,} events in {seconds:.1f} s ({count / seconds:,.0f} events/s) under {settings.topic_prefix}"
        )
        audit_range = AuditRange(first, last + timedelta(seconds=1), warmup=timedelta(0))
        request = plan_request(settings, audit_range, rules=options.rule)

        raw_count, raw_seconds = consume_and_decode(settings, audit_range, request.topics)
        raw_rate = raw_count / raw_seconds
        print(
            f"raw consume-and-decode: {raw_count:,} events in {raw_seconds:.1f} s = {raw_rate:,.0f} events/s"
        )

        started = time.perf_counter()
        report = run_replay(
            request, KafkaSources(settings), progress=replay_progress, now=datetime.now(UTC)
        )
        wall = time.perf_counter() - started
        stats = report.stats
        print(
            f"replay (every shipped rule, compared with the alerts topic): {stats.records:,} events in "
            f"{stats.seconds:.1f} s = {stats.events_per_second:,.0f} events/s "
            f"(wall {wall:.1f} s with counting, reading the alerts topic and the report); "
            f"{report.replayed_alerts:,} alerts, {stats.rejected} unusable records"
        )
        print(f"ratio replay / raw consume-and-decode: {stats.events_per_second / raw_rate:.3f}")
    finally:
        delete_prefix(settings)


if __name__ == "__main__":
    run_benchmark(main)
