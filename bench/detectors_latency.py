"""Event-to-alert latency of one detector worker at a fixed load.

    .venv/bin/python -m bench.detectors_latency [--rate 1000] [--seconds 30] [--schools 20]

The load is the simulator's district, paced at ``--rate`` events/s, with one probe in every 100
events: a bulk food delivery inspected by one person, which rule C6 alerts on the event itself.
Latency = the alert's Kafka timestamp (when the worker published it) minus its probe's Kafka
timestamp (when the probe reached Kafka). Printed, never asserted.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition

from bench.detectors_common import (
    isolated_settings,
    simulator_mix,
    start_process,
    stop,
)
from bench.machine import StealSampler
from bench.running import run_benchmark
from bench.stats import percentile
from contracts.pii import pseudonymize
from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import alerts_topic, raw_topic
from services.detectors.runtime.evaluate import delete_prefix

EXAMPLE = (
    Path(__file__).resolve().parent.parent
    / "contracts"
    / "examples"
    / "cn.edu.qinglian.canteen.inbound_inspection.v1.json"
)
PROBE_EVERY = 100


def probe(template: dict, neighbour: dict, number: int, key: bytes) -> dict:
    event = copy.deepcopy(template)
    event["id"] = f"bench-probe-{number}"
    event["schoolid"] = neighbour["schoolid"]
    event["districtid"] = neighbour.get("districtid", event.get("districtid"))
    event["time"] = neighbour["time"]
    event["data"]["inspection_id"] = f"RK-BENCH-{number}"
    event["data"]["inspectors"] = event["data"]["inspectors"][:1]
    return pseudonymize(event, key)


def load(settings: Settings, base: list[dict], count: int) -> list[dict]:
    template = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    key = settings.pseudonym_key.get_secret_value().encode()
    events = []
    for index in range(count):
        neighbour = base[index % len(base)]
        events.append(
            probe(template, neighbour, index, key) if index % PROBE_EVERY == 0 else neighbour
        )
    return events


def paced_publish(settings: Settings, events: list[dict], rate: float) -> dict[str, int]:
    """Send at ``rate`` events/s; returns each probe's Kafka timestamp (ms)."""
    producer = broker.durable_producer(settings, client_id="bench-latency", linger_ms=1)
    sent: dict[str, int] = {}
    started = time.perf_counter()
    for index, event in enumerate(events):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        stamp = int(time.time() * 1000)
        topic = raw_topic(settings, event["type"].split(".")[3])
        producer.send(
            topic, key=event["schoolid"].encode(), value=orjson.dumps(event), timestamp_ms=stamp
        )
        if event["id"].startswith("bench-probe-"):
            sent[event["id"]] = stamp
    producer.flush()
    producer.close()
    return sent


def alerts_reader(settings: Settings) -> KafkaConsumer:
    reader = broker.consumer(settings, group_id=None)
    topic = alerts_topic(settings)
    while not reader.partitions_for_topic(topic):
        time.sleep(0.2)
    reader.assign([TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic))])
    reader.seek_to_beginning()
    return reader


def latencies(reader: KafkaConsumer, sent: dict[str, int], *, settle: float) -> list[float]:
    found: dict[str, float] = {}
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and len(found) < len(sent):
        for records in reader.poll(timeout_ms=500).values():
            for message in records:
                alert = orjson.loads(message.value)["data"]
                for event_id in alert["evidence_event_ids"]:
                    if alert["rule_id"] == "C6" and event_id in sent and event_id not in found:
                        found[event_id] = (message.timestamp - sent[event_id]) / 1000
    return sorted(found.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--logs", type=Path, default=Path("/tmp"))
    arguments = parser.parse_args()
    settings = isolated_settings("latency")
    worker = start_process(
        settings,
        [sys.executable, "-m", "bench.detectors_throughput", "worker"],
        arguments.logs / "latency-worker.log",
    )
    reader = alerts_reader(settings)
    try:
        base = simulator_mix(settings, arguments.schools, 2)
        events = load(settings, base, int(arguments.rate * arguments.seconds))
        warm = paced_publish(settings, events[:1], 1.0)
        assert latencies(reader, warm, settle=120), (
            "the worker raised no alert for the warm-up probe"
        )
        with StealSampler() as during_load:
            sent = paced_publish(settings, events[PROBE_EVERY:], arguments.rate)
            values = latencies(reader, sent, settle=max(60.0, arguments.seconds * 2))
        print(
            f"load: {len(events) - PROBE_EVERY} events at {arguments.rate:.0f} events/s, {len(sent)} probes; alerts seen for {len(values)}"
        )
        if values:
            print(
                f"event-to-alert latency: p50 {statistics.median(values) * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms (target p99 < 1 s)"
            )
        print(f"machine: {during_load.line()}")
    finally:
        reader.close()
        stop(worker)
        delete_prefix(settings)


if __name__ == "__main__":
    run_benchmark(main)
