"""``qinglian evaluate``: the simulator's district through the detectors, scored against its ground truth.

The district comes from the simulator, generated in process
(``simulate_district``), or from a directory it wrote (``qinglian simulate
--out DIR``: one NDJSON file of CloudEvents per domain and ``ground_truth.jsonl``,
one expected anomaly per line: ``rule_id``, ``school_id``, ``subject{kind, id}``,
...). Events are pseudonymized as ingest does before they reach the detectors,
and so are the person subjects of the ground truth, so the two can be compared.

Two modes:
- replay only: the events, in event-time order, straight into one engine with
  every rule, flushed at the end. Fast, no Kafka.
- live: the events are published to the raw topics of a fresh topic prefix, a
  real worker (``qinglian detectors worker``) processes them, and the alerts are
  read back from the alerts topic once the worker's consumer lag is zero and no
  alert arrived for a while. After the events, a clock declaration (``clock``)
  says the input is complete: event time reaches ``END_OF_INPUT`` past the
  latest event, so the windows still open at the end of the input close, as
  replay's final flush closes them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

import orjson

from contracts.pii import is_pseudonym, pseudonym, pseudonymize
from qinglian import broker
from qinglian.lag import LagExporter
from qinglian.metrics import new_registry
from qinglian.settings import Settings
from qinglian.stack.processes import free_port
from qinglian.topics import alerts_topic, raw_topic
from services.detectors.core.config import RuleSet
from services.detectors.core.eventtime import event_time
from services.detectors.errors import DetectorError
from services.detectors.runtime.app import (
    delete_state_directories,
    detectors_app_id,
    watched_topics,
)
from services.detectors.runtime.clock import declare_clock
from services.detectors.runtime.evaluation import AlertKey, alert_key
from services.detectors.runtime.messages import to_json
from services.detectors.runtime.records import Record
from services.detectors.runtime.replay import ReplayResult, replay_records

GROUND_TRUTH_FILE = "ground_truth.jsonl"
END_OF_INPUT = timedelta(days=400)
"""How far past the latest event the live evaluation declares event time: beyond every window
and deadline a rule keeps (a term, a fiscal year, 30-day deadlines). On the default scenario the
alerts equal replay's, which fires every pending timer at the end."""
PERSON_SUBJECTS = {"student": "student_id", "staff": "staff_id"}


class EvaluationError(DetectorError):
    pass


@dataclass(frozen=True, slots=True)
class Simulation:
    events: list[dict[str, Any]]
    truth: list[dict[str, Any]]


def simulate_district(pseudonym_key: bytes, **scenario: int) -> Simulation:
    """The simulator's scenario (its defaults, or ``schools``/``days``/``seed``), generated in process."""
    from services.ingest.simulator.emissions import SimulatedEvent
    from services.ingest.simulator.scenario import Scenario
    from services.ingest.simulator.simulation import simulate

    events, truth = [], []
    for emission in simulate(Scenario(**scenario, pseudonym_key=pseudonym_key)):
        if isinstance(emission, SimulatedEvent):
            events.append(pseudonymize(emission.event, pseudonym_key))
        else:
            truth.append(emission.to_json())
    return Simulation(events, truth)


def read_simulation(directory: Path, pseudonym_key: bytes) -> Simulation:
    """The simulator's events (pseudonymized, in event-time order) and its ground truth."""
    truth_file = directory / GROUND_TRUTH_FILE
    if not truth_file.is_file():
        raise EvaluationError(
            f"{truth_file}: 缺少真值文件 / no ground truth; run `qinglian simulate --out {directory}`"
        )
    event_files = sorted(p for p in directory.glob("*.ndjson") if p.name != GROUND_TRUTH_FILE)
    if not event_files:
        raise EvaluationError(f"{directory}: 没有事件文件 / no *.ndjson event files")
    events = [
        pseudonymize(event, pseudonym_key) for path in event_files for event in _json_lines(path)
    ]
    events.sort(key=lambda event: (datetime.fromisoformat(event["time"]), event["id"]))
    truth = [pseudonymized_subject(line, pseudonym_key) for line in _json_lines(truth_file)]
    return Simulation(events, truth)


def pseudonymized_subject(expected: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """A ground-truth line whose person subject is replaced by the pseudonym the detectors see."""
    result = dict(expected)
    subject = expected.get("subject")
    if (
        isinstance(subject, Mapping)
        and subject.get("kind") in PERSON_SUBJECTS
        and not is_pseudonym(str(subject["id"]))
    ):
        result["subject"] = {
            **subject,
            "id": pseudonym(PERSON_SUBJECTS[subject["kind"]], str(subject["id"]), key),
        }
    return result


def replay_events(
    rule_set: RuleSet, events: Iterable[Mapping[str, Any]], *, detected_at: datetime
) -> ReplayResult:
    return replay_records(rule_set, _records(events), detected_at=detected_at)


def live_alerts(
    settings: Settings,
    events: Sequence[Mapping[str, Any]],
    *,
    worker_arguments: Sequence[str] = (),
    settle_seconds: float = 10.0,
    timeout_seconds: float = 900.0,
) -> list[dict[str, Any]]:
    """Publish ``events`` under a fresh topic prefix, run one worker, return the alerts it published."""
    isolated = settings.model_copy(
        update={"topic_prefix": f"{settings.topic_prefix}.eval-{uuid.uuid4().hex[:8]}"}
    )
    broker.ensure_topics(isolated)
    try:
        publish(isolated, events)
        if events:
            declare_clock(isolated, max(event_time(event) for event in events) + END_OF_INPUT)
        with _Worker(isolated, worker_arguments) as worker:
            return _collect_alerts(isolated, worker, settle_seconds, timeout_seconds)
    finally:
        delete_prefix(isolated)


def publish(settings: Settings, events: Iterable[Mapping[str, Any]]) -> int:
    """Send events to their domain's raw topic, keyed by school id; returns how many."""
    producer = broker.durable_producer(settings, client_id="qinglian-evaluate", linger_ms=20)
    count = 0
    try:
        for event in events:
            domain = event["type"].split(".")[3]
            producer.send(
                raw_topic(settings, domain),
                key=event["schoolid"].encode(),
                value=orjson.dumps(event),
            )
            count += 1
        producer.flush()
    finally:
        producer.close()
    return count


def delete_prefix(settings: Settings) -> None:
    """Every topic under the settings' prefix (raw, alerts, dead letters, the workers' internal
    topics) and the local state of the workers that ran under it; call once they have stopped."""
    delete_state_directories(settings)
    admin = broker.admin_client(settings)
    try:
        owned = [
            name for name in admin.list_topics() if name.startswith(f"{settings.topic_prefix}.")
        ]
        if owned:
            admin.delete_topics(owned)
    finally:
        admin.close()


def truth_keys(truth: Iterable[Mapping[str, Any]]) -> list[AlertKey]:
    return [alert_key(line) for line in truth]


def _records(events: Iterable[Mapping[str, Any]]) -> Iterator[Record]:
    for offset, event in enumerate(events):
        yield Record("simulation", 0, offset, None, event["schoolid"].encode(), to_json(event))


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise EvaluationError(
                    f"{path}:{number}: 不是 JSON / not valid JSON: {exc}"
                ) from exc


class _Worker:
    """A ``qinglian detectors worker`` subprocess for the isolated prefix, logging to a file, stopped on exit."""

    def __init__(self, settings: Settings, arguments: Sequence[str]) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - the worker writes to it until __exit__
        env = {**os.environ, "QINGLIAN_TOPIC_PREFIX": settings.topic_prefix}
        command = [
            sys.executable,
            "-m",
            "qinglian",
            "detectors",
            "worker",
            "--web-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            *arguments,
        ]
        self._process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def check_running(self) -> None:
        if self._process.poll() is not None:
            self._log.seek(0)
            tail = self._log.read().decode(errors="replace")[-500:]
            raise EvaluationError(
                f"检测 worker 退出 / the worker exited ({self._process.returncode}): {tail}"
            )


def _collect_alerts(
    settings: Settings, worker: _Worker, settle_seconds: float, timeout_seconds: float
) -> list[dict[str, Any]]:
    watched = watched_topics(settings)
    lag = LagExporter(settings, detectors_app_id(settings), watched, new_registry())
    reader = broker.consumer(settings, group_id=None)
    topic = alerts_topic(settings)
    deadline = time.monotonic() + timeout_seconds
    while not reader.partitions_for_topic(topic) and time.monotonic() < deadline:
        time.sleep(0.2)  # metadata of a topic created moments ago
    reader.assign(broker.topic_partitions(reader, [topic]))
    reader.seek_to_beginning()
    alerts: dict[str, dict[str, Any]] = {}
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            worker.check_running()
            batch = reader.poll(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    document = orjson.loads(record.value)
                    alerts[document["data"]["alert_id"]] = document["data"]
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= settle_seconds and not any(lag.measure().values()):
                return list(alerts.values())
        raise EvaluationError(f"超时 / the worker did not finish within {timeout_seconds:.0f} s")
    finally:
        reader.close()
