"""The pinned Kafka broker works with the pinned clients: kafka-python and a faust-streaming agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from qinglian import broker
from qinglian.settings import Settings
from qinglian.stack.processes import free_port
from qinglian.topics import TopicSpec

pytestmark = pytest.mark.integration


def produce(settings: Settings, topic: str, count: int) -> list[str]:
    producer = broker.durable_producer(settings, client_id="test-producer")
    ids = [str(uuid.uuid4()) for _ in range(count)]
    try:
        futures = [
            producer.send(
                topic, key=f"school-{i % 5}".encode(), value=json.dumps({"id": event_id}).encode()
            )
            for i, event_id in enumerate(ids)
        ]
        for future in futures:
            metadata = future.get(timeout=30)
            assert metadata.offset >= 0
    finally:
        producer.close()
    return ids


def consume_ids(
    settings: Settings, topic: str, group: str, expected: int, timeout: float = 30.0
) -> list[str]:
    consumer = broker.consumer(settings, topic, group_id=group, consumer_timeout_ms=1000)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                seen.extend(json.loads(record.value)["id"] for record in records)
        consumer.commit()
    finally:
        consumer.close()
    return seen


def test_kafka_python_produce_and_consume_in_a_group(
    kafka_settings: Settings, unique_topic: str
) -> None:
    sent = produce(kafka_settings, unique_topic, 50)
    group = f"test-group-{uuid.uuid4().hex[:8]}"
    assert sorted(consume_ids(kafka_settings, unique_topic, group, expected=50)) == sorted(sent)
    # The group committed its offsets: a new member of the same group starts after them.
    later = produce(kafka_settings, unique_topic, 5)
    assert sorted(consume_ids(kafka_settings, unique_topic, group, expected=5)) == sorted(later)


def test_project_topics_exist_with_their_settings(kafka_settings: Settings) -> None:
    from kafka.admin import ConfigResource, ConfigResourceType

    from qinglian.topics import topic_specs

    assert broker.missing_topics(kafka_settings) == []
    admin = broker.admin_client(kafka_settings)
    try:
        specs = topic_specs(kafka_settings)
        described = {
            topic["topic"]: topic for topic in admin.describe_topics([spec.name for spec in specs])
        }
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, spec.name) for spec in specs]
        )
    finally:
        admin.close()
    for spec in specs:
        assert len(described[spec.name]["partitions"]) == spec.partitions
    on_broker = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}
        for response in configs
        for resource in response.resources
    }
    for spec in specs:
        assert {key: on_broker[spec.name][key] for key in spec.config} == spec.config, spec.name


def test_faust_agent_in_a_consumer_group(
    kafka_settings: Settings, unique_topic: str, tmp_path: Path
) -> None:
    """A real faust-streaming worker joins a consumer group, consumes, and forwards to a sink topic."""
    sink = f"{unique_topic}.sink"
    broker.ensure_topics(kafka_settings, [TopicSpec(sink, "test sink", 3, 1, {})])
    env = {
        **os.environ,
        "PROBE_BROKER": kafka_settings.kafka_bootstrap_servers,
        "PROBE_SOURCE": unique_topic,
        "PROBE_SINK": sink,
        "PROBE_APP_ID": f"qinglian-probe-{uuid.uuid4().hex[:8]}",
        "PROBE_DATA_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.runtime.faust_probe",
            "worker",
            "-l",
            "warn",
            "--web-port",
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        sent = produce(kafka_settings, unique_topic, 20)
        forwarded = consume_ids(
            kafka_settings, sink, f"test-sink-{uuid.uuid4().hex[:8]}", expected=20, timeout=90
        )
    finally:
        worker.terminate()
        output = worker.communicate(timeout=60)[0].decode(errors="replace")
        broker_admin = broker.admin_client(kafka_settings)
        broker_admin.delete_topics([sink])
        broker_admin.close()
    assert sorted(forwarded) == sorted(sent), output[-3000:]


def test_stack_topics_lists_every_topic_with_how_it_is_kept(kafka_settings: Settings) -> None:
    from typer.testing import CliRunner

    from qinglian.cli import app
    from qinglian.topics import topic_specs

    result = CliRunner().invoke(
        app,
        ["stack", "topics"],
        env={"QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers},
    )
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == {spec.name for spec in topic_specs(kafka_settings)}
    assert "retention.ms=" in lines[kafka_settings.topic("alerts")]
    assert " compact " in lines[kafka_settings.topic("detectors.quarantine")]
