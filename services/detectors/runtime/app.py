"""The detectors' faust-streaming app: the composition root of a detector worker.

Topology (every topic has ``settings.topic_partitions`` partitions)::

    raw.{canteen,procurement,enrollment,finance}
    and clock ─────────────────────────────────────► school agent ──► alerts
        (keyed by school id, co-partitioned)          │  table school-state (changelog)
                                                      ├──► deadletter
                                                      ▼
         detectors.state<N>.global (bundles of events, partitioned by the global rules' state keys)
                                                      │
                                                      ▼
                                                 global agent ──► alerts, deadletter
                                                    table global-state (changelog)

Each agent takes batches (``take_events``) and hands them to a ``BatchRunner``
(runner.py: detector → publish → write state, which makes a SIGKILL safe); a timer runs
an empty batch for partitions that came to the worker with nothing to read.
State lives in RocksDB tables backed by changelog topics (``rocks``: one database
per partition, each key in its own partition's database): a restarted worker
replays the changelog written since its store's last offset before it reads events.
"""

from __future__ import annotations

import glob
import shutil
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from faust.types import TP

from qinglian.settings import Settings
from qinglian.topics import TopicSpec, alerts_topic, clock_topic, deadletter_topic, detector_inputs
from services.detectors.core.config import RuleSet
from services.detectors.runtime.interrupt import StepInterrupter
from services.detectors.runtime.metrics import DetectorMetrics
from services.detectors.runtime.processor import GlobalDetector, SchoolDetector
from services.detectors.runtime.rocks import STORE_URL, register_store
from services.detectors.runtime.runner import BatchRunner, Outputs, rule_error_handler

REPARTITION_RETENTION_MS = 7 * 24 * 3600 * 1000
MAX_RECORD_BYTES = 16 * 1024 * 1024
"""A population rule's state (a district's OCDS processes) can exceed Kafka's default 1 MB record."""


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    web_port: int = 6066
    batch_size: int = 4000
    """Events a school batch takes at most. Larger batches write a school's hot keys (its F6 and
    E2 indexes, its pages) to the changelog once for more events: measured at 100 schools,
    1,000 → 4,000 raised a worker from ~3,700 to ~4,950 events/s; 8,000 gained nothing more.
    At low load a batch closes after ``batch_within`` long before it fills."""
    bundle_batch_size: int = 20
    """Repartitioned records (bundles of up to a school batch's forwards each) a global batch
    takes and its stream buffers: a thousand of them would hold ~100,000 events at once."""
    batch_within: float = 0.1
    """Seconds a batch waits to fill: the floor of event-to-alert latency at low load."""
    assignment_check_interval: float = 1.0
    """Seconds between looks at the worker's assignment, for partitions that came to it with
    nothing to read yet (``BatchRunner.take_over_quiet_partitions``)."""
    lag_interval: float = 15.0
    """Seconds between measurements of the group's lag, the worker's backlog and its stall watch."""
    session_timeout: float = 30.0
    rebalance_timeout: float = 30.0
    heartbeat_interval: float = 3.0
    commit_interval: float = 1.0
    producer_linger: float = 0.005
    app_id: str | None = None


STATE_FORMAT = 4
"""Bump when a rule's state layout or the repartitioned records change (1 → 2: F6 and E2 keep
students in pages; RocksDB tables. 2 → 3: repartitioned events travel in bundles, in a
repartition topic of the format's own. 3 → 4: E2 keeps each activity event in a page until
its day is judged). Workers of a new format form a new consumer group with empty tables,
read the raw topics (kept indefinitely) from the beginning and rebuild their state; the
alerts they raise again have the ids they had, so alerting records them once. A rule whose
version moved with the format (E2 1.1.0 with format 4) raises its alerts under new ids;
alerting files them with the existing case of the same school, rule and subject."""


def watched_topics(settings: Settings) -> list[str]:
    """Every topic a detector worker reads: its consumer lag on them is zero once it caught up."""
    return [*detector_inputs(settings), repartition_topic(settings)]


def detectors_app_id(settings: Settings) -> str:
    """The consumer group of the detector workers (and the prefix of their changelog topics)."""
    return settings.topic(f"detectors.state{STATE_FORMAT}")


def repartition_topic(settings: Settings) -> str:
    return f"{detectors_app_id(settings)}.global"


def repartition_topic_spec(settings: Settings) -> TopicSpec:
    """Created before faust starts: a topic faust declares itself joins the subscription only
    at a later rebalance, which may not come while the school agent keeps the group busy."""
    return TopicSpec(
        repartition_topic(settings),
        "events repartitioned by the global rules' state keys (bundles)",
        settings.topic_partitions,
        settings.topic_replication_factor,
        {
            "cleanup.policy": "delete",
            "retention.ms": str(REPARTITION_RETENTION_MS),
            "max.message.bytes": str(MAX_RECORD_BYTES),
        },
    )


def state_directory(settings: Settings, app_id: str, web_port: int) -> Path:
    """Where a faust app keeps its local state (RocksDB tables): one directory per app id and web
    port, so two workers on one machine never share one. Created here."""
    directory = settings.state_path / "detectors" / f"{app_id}-{web_port}"
    directory.parent.mkdir(parents=True, exist_ok=True)
    return directory


def delete_state_directories(settings: Settings) -> None:
    """The state directories of every app whose id starts with the settings' topic prefix (an
    evaluation's, a benchmark's or a test's workers): a 1,000-school worker leaves some 240 MB."""
    for directory in (settings.state_path / "detectors").glob(
        f"{glob.escape(settings.topic_prefix)}.*"
    ):
        shutil.rmtree(directory, ignore_errors=True)


def backlog_buffers(options: RuntimeOptions) -> dict[str, int]:
    """faust settings that bound what a worker buffers of a backlog, which fills every buffer:
    one batch per agent and 256 KB per partition (measured, 100-school backlog: peak RSS
    367 → 270 MB; a decode-only agent on a 300-school backlog: 230 → 131 MB)."""
    return {"stream_buffer_maxsize": options.batch_size, "consumer_max_fetch_size": 256 * 1024}


def create_app(
    settings: Settings,
    rule_set: RuleSet,
    *,
    options: RuntimeOptions | None = None,
    metrics: DetectorMetrics | None = None,
    skipped: Container[str] = frozenset(),
    interrupter: StepInterrupter | None = None,
) -> faust.App:
    """``skipped``: labels of quarantined rule steps (``quarantine``), which may grow while the app
    runs; ``interrupter``: ends a quarantined step in progress in the app's detectors (``interrupt``)."""
    options = options or RuntimeOptions()
    register_store()
    app_id = options.app_id or detectors_app_id(settings)
    partitions = settings.topic_partitions
    datadir = state_directory(settings, app_id, options.web_port)
    app = faust.App(
        app_id,
        broker=[
            f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(",")
        ],
        store=STORE_URL,
        datadir=str(datadir),
        autodiscover=False,
        topic_partitions=partitions,
        topic_replication_factor=settings.topic_replication_factor,
        table_standby_replicas=0,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=options.session_timeout,
        broker_rebalance_timeout=options.rebalance_timeout,
        broker_heartbeat_interval=options.heartbeat_interval,
        broker_commit_interval=options.commit_interval,
        producer_linger=options.producer_linger,
        producer_acks=-1,
        producer_max_request_size=MAX_RECORD_BYTES,
        stream_recovery_delay=0.0,
        **backlog_buffers(options),
        web_enabled=False,
        web_port=options.web_port,
        web_bind=settings.bind_host,
    )
    inputs = app.topic(*detector_inputs(settings), key_serializer="raw", value_serializer="raw")
    repartition = repartition_topic_spec(settings)
    repartitioned = app.topic(
        repartition.name,
        partitions=repartition.partitions,
        replicas=repartition.replication_factor,
        internal=True,
        config=repartition.config,
        maxsize=options.bundle_batch_size,
        key_serializer="raw",
        value_serializer="raw",
    )
    outputs = Outputs(
        alerts=alerts_topic(settings),
        deadletter=deadletter_topic(settings),
        repartitioned=repartition_topic(settings),
        partitions=partitions,
    )
    on_rule_error = rule_error_handler(metrics)
    state_schema = faust.Schema(key_serializer="json", value_serializer="json")
    large_records = {"max.message.bytes": str(MAX_RECORD_BYTES)}
    school_table = app.Table(
        "school-state",
        partitions=partitions,
        schema=state_schema,
        extra_topic_configs=large_records,
    )
    global_table = app.Table(
        "global-state",
        partitions=partitions,
        schema=state_schema,
        extra_topic_configs=large_records,
    )

    school = BatchRunner(
        app,
        school_table,
        detector_inputs(settings),
        outputs,
        metrics,
        lambda store: SchoolDetector(
            rule_set,
            store,
            on_rule_error=on_rule_error,
            clock_topic=clock_topic(settings),
            skipped=skipped,
        ),
        agent="school",
    )
    global_ = BatchRunner(
        app,
        global_table,
        [repartition_topic(settings)],
        outputs,
        metrics,
        lambda store: GlobalDetector(
            rule_set, store, on_rule_error=on_rule_error, partitions=partitions, skipped=skipped
        ),
        agent="global",
    )

    if interrupter is not None:
        interrupter.watch(school.detector, global_.detector)

    @app.agent(inputs, name="detect-school-rules")
    async def detect_school_rules(stream: faust.StreamT) -> None:
        async for events in stream.take_events(options.batch_size, within=options.batch_within):
            await school.run(events)

    @app.agent(repartitioned, name="detect-global-rules")
    async def detect_global_rules(stream: faust.StreamT) -> None:
        async for events in stream.take_events(
            options.bundle_batch_size, within=options.batch_within
        ):
            await global_.run(events)

    @app.timer(interval=options.assignment_check_interval, traced=False)
    async def watch_assignment() -> None:
        for runner in (school, global_):
            await runner.take_over_quiet_partitions()

    if metrics is not None:

        @app.on_partitions_assigned.connect
        async def note_assignment(sender: faust.App, assigned: set[TP], **signal: Any) -> None:
            """Before the tables' recovery (timers start only after the first): a backlog that
            waits while a recovery hangs counts, for the stall watch too."""
            metrics.observe_assignment(assigned)

    return app
