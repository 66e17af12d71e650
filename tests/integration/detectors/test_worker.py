"""Detector workers on the real broker: alerts on the alerts topic, no second alert id on
re-processing, the same alerts after one of two workers is killed with SIGKILL, and the windows
a clock declaration closes, and the declarations a killed worker had heard; a rule step stuck
on an event is quarantined and ended, and a worker stuck beyond that exits to be started again.

The reference is one engine fed the same events in order (``AllRulesDetector``), without the
final flush unless the stream declares its input complete (``qinglian detectors clock``). Events are published one
simulated day at a time and each day is processed before the next is sent, as a real district's
stream arrives; within a day, partitions interleave freely.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from kafka import OffsetAndMetadata, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from qinglian import broker
from qinglian.lag import LagExporter
from qinglian.metrics import new_registry
from qinglian.settings import Settings
from qinglian.topics import alerts_topic, clock_topic, deadletter_topic, raw_topic
from services.detectors.core.alerts import Alert
from services.detectors.runtime.app import detectors_app_id, watched_topics
from services.detectors.runtime.clock import declare_clock
from services.detectors.runtime.evaluate import delete_prefix, publish
from services.detectors.runtime.messages import clock_record
from services.detectors.runtime.processor import AllRulesDetector, SchoolDetector
from services.detectors.runtime.quarantine import Quarantine
from services.detectors.runtime.records import Record
from services.detectors.runtime.runner import changelog_records
from services.detectors.runtime.stall import EXIT_STALLED
from services.detectors.runtime.store import BufferedTableStore
from tests.integration.detectors.support import TopicReader, WorkerProcess, isolated, wait_until
from tests.unit.detectors_runtime.fixture_rules import (
    BASE,
    encoded,
    fixture_rule_set,
    payment,
    standard_mix,
)

pytestmark = pytest.mark.integration

SCHOOLS = 24
Starter = Callable[..., WorkerProcess]
TIMEOUT = 60.0


@pytest.fixture
def scoped(kafka_settings: Settings) -> Iterator[Settings]:
    settings = isolated(kafka_settings)
    broker.ensure_topics(settings)
    yield settings
    delete_prefix(settings)


@pytest.fixture
def start_worker(scoped: Settings, tmp_path: Path) -> Iterator[Callable[[str], WorkerProcess]]:
    """Starts worker processes for the test's topics; every one is stopped at teardown."""
    started: list[WorkerProcess] = []

    def start(
        name: str, *arguments: str, environment: dict[str, str] | None = None
    ) -> WorkerProcess:
        started.append(WorkerProcess(scoped, tmp_path, name, *arguments, environment=environment))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def reference_alerts(events: list[dict], *, complete: bool = False) -> list[Alert]:
    """One engine's alerts over ``events`` in order; ``complete``: then told the input is complete."""
    records = [
        Record("raw", 0, n, None, e["schoolid"].encode(), encoded(e)) for n, e in enumerate(events)
    ]
    detector = AllRulesDetector(fixture_rule_set(), on_rule_error=pytest.fail)
    alerts = [
        raised.alert for raised in detector.process(records, detected_at=datetime.now(UTC)).alerts
    ]
    return alerts + detector.flush(detected_at=datetime.now(UTC)) if complete else alerts


def reference_alert_ids(events: list[dict]) -> set[str]:
    return {alert.alert_id for alert in reference_alerts(events)}


def caught_up(settings: Settings) -> bool:
    watched = watched_topics(settings)
    lag = LagExporter(settings, detectors_app_id(settings), watched, new_registry()).measure()
    return bool(lag) and not any(lag.values())


def alert_ids(reader: TopicReader) -> set[str]:
    return {document["id"] for document in reader.read()}


def publish_day(settings: Settings, day: int, workers: list[WorkerProcess]) -> None:
    publish(settings, standard_mix(SCHOOLS, 1, first_day=day))
    wait_until(
        lambda: caught_up(settings),
        timeout=TIMEOUT,
        describe=lambda: f"day {day} not processed; worker log:\n{workers[-1].log_tail()}",
    )


def test_events_on_the_raw_topics_raise_the_expected_alerts_once(
    scoped: Settings, start_worker: Starter
) -> None:
    settings = scoped
    worker = start_worker("worker")
    alerts = TopicReader(settings, alerts_topic(settings))
    deadletters = TopicReader(settings, deadletter_topic(settings))
    try:
        for day in range(3):
            publish_day(settings, day, [worker])
        producer = broker.durable_producer(settings, client_id="test")
        producer.send(raw_topic(settings, "finance"), key=b"500102000001", value=b"{broken")
        producer.flush()
        producer.close()
        expected = reference_alert_ids(standard_mix(SCHOOLS, 3))
        wait_until(
            lambda: alert_ids(alerts) == expected,
            timeout=TIMEOUT,
            describe=lambda: _difference(alerts, expected),
        )
        wait_until(
            lambda: len(deadletters.read()) == 1,
            timeout=TIMEOUT,
            describe=lambda: str(deadletters.documents),
        )
        assert deadletters.documents[0]["reasons"][0]["rule"] == "json"
        assert {d["data"]["rule_id"] for d in alerts.documents} == {"TA", "TB", "TG"}

        # The same events again (an upstream re-send): alerts may be published again, never with a new id.
        for day in range(3):
            publish_day(settings, day, [worker])
        alerts.read()
        assert alert_ids(alerts) == expected
    finally:
        alerts.close()
        deadletters.close()


def test_killing_one_of_two_workers_loses_and_duplicates_no_alert(
    scoped: Settings, start_worker: Starter
) -> None:
    settings = scoped
    first, second = start_worker("first"), start_worker("second")
    workers = [first, second]
    alerts = TopicReader(settings, alerts_topic(settings))
    try:
        publish_day(settings, 0, workers)
        # Mid-stream: the next day's events are in Kafka when the first worker dies without warning.
        publish(settings, standard_mix(SCHOOLS, 1, first_day=1))
        first.kill()
        workers.append(start_worker("restarted"))
        wait_until(lambda: caught_up(settings), timeout=TIMEOUT, describe=lambda: second.log_tail())
        for day in (2, 3):
            publish_day(settings, day, workers)
        expected = reference_alert_ids(standard_mix(SCHOOLS, 4))
        wait_until(
            lambda: alert_ids(alerts) == expected,
            timeout=TIMEOUT,
            describe=lambda: _difference(alerts, expected),
        )
    finally:
        alerts.close()


def test_a_clock_declaration_closes_the_windows_no_later_event_closes(
    scoped: Settings, start_worker: Starter
) -> None:
    settings = scoped
    workers = [start_worker("first"), start_worker("second")]
    alerts = TopicReader(settings, alerts_topic(settings))
    try:
        publish_day(settings, 0, workers)
        day_zero = standard_mix(SCHOOLS, 1)
        before = reference_alert_ids(day_zero)
        wait_until(
            lambda: alert_ids(alerts) == before,
            timeout=TIMEOUT,
            describe=lambda: _difference(alerts, before),
        )

        declare_clock(settings, BASE + timedelta(days=1, hours=2))

        flushed = reference_alerts(day_zero, complete=True)
        assert {alert.rule_id for alert in flushed if alert.alert_id not in before} == {"TB"}
        expected = {alert.alert_id for alert in flushed}
        wait_until(
            lambda: alert_ids(alerts) == expected,
            timeout=TIMEOUT,
            describe=lambda: _difference(alerts, expected),
        )
    finally:
        alerts.close()


def test_a_worker_killed_after_hearing_some_partitions_declarations_still_counts_them(
    scoped: Settings, start_worker: Starter
) -> None:
    """The global rules move once every clock partition's declaration has come through: a worker
    that heard half of them before it was killed must not wait for those again."""
    settings = scoped
    first = start_worker("first")
    publish_day(settings, 0, [first])
    through = BASE + timedelta(days=1, hours=2)
    declare_in_partitions(settings, through, [0, 1, 2])
    wait_until(lambda: caught_up(settings), timeout=TIMEOUT, describe=first.log_tail)
    first.kill()

    restarted = start_worker("restarted")
    declare_in_partitions(settings, through, [3, 4, 5])

    expected = (through - fixture_rule_set().allowed_lateness).timestamp()
    wait_until(
        lambda: global_watermark(restarted) == expected,
        timeout=TIMEOUT,
        describe=lambda: (
            f"global watermark {global_watermark(restarted)}, expected {expected}\n{restarted.log_tail()}"
        ),
    )


def declare_in_partitions(
    settings: Settings, through: datetime, partitions: list[int]
) -> dict[int, int]:
    """A declaration in some partitions of the clock topic only (``declare_clock`` writes all);
    returns the offset of each partition's record."""
    producer = broker.durable_producer(settings, client_id="test-clock")
    try:
        return {
            partition: producer.send(
                clock_topic(settings), value=clock_record(through), partition=partition
            )
            .get(timeout=TIMEOUT)
            .offset
            for partition in partitions
        }
    finally:
        producer.close()


def test_a_declaration_the_previous_owner_held_is_passed_on_with_nothing_left_to_read(
    scoped: Settings, start_worker: Starter
) -> None:
    """A worker read the declarations (so the group will not hand their records out again) but had
    not passed them on when its partitions moved; the sources are quiet, so no event follows. The
    new owner must act on what it recovered without waiting for one."""
    settings = scoped
    first = start_worker("first")
    publish_day(settings, 0, [first])
    first.stop()

    through = BASE + timedelta(days=1, hours=2)
    offsets = declare_in_partitions(settings, through, list(range(settings.topic_partitions)))
    hold_as_a_previous_owner(settings, through, offsets)
    alerts = TopicReader(settings, alerts_topic(settings))
    try:
        start_worker("taking-over")
        expected = {
            alert.alert_id for alert in reference_alerts(standard_mix(SCHOOLS, 1), complete=True)
        }
        wait_until(
            lambda: alert_ids(alerts) == expected,
            timeout=TIMEOUT,
            describe=lambda: _difference(alerts, expected),
        )
    finally:
        alerts.close()


def hold_as_a_previous_owner(
    settings: Settings, through: datetime, offsets: dict[int, int]
) -> None:
    """What a worker leaves when it read the declarations at ``offsets`` while a raw partition
    still had unread events: the declarations held in its changelog, their records committed."""
    store = BufferedTableStore({}, owns=lambda key: True)
    detector = SchoolDetector(
        fixture_rule_set(), store, on_rule_error=pytest.fail, clock_topic=clock_topic(settings)
    )
    clock_sources = {
        (clock_topic(settings), partition): offset + 1 for partition, offset in offsets.items()
    }
    detector.clocks.start_batch({("unread raw partition", 0): None, **clock_sources}, {})
    records = [
        Record(clock_topic(settings), partition, offset, None, None, clock_record(through))
        for partition, offset in offsets.items()
    ]
    assert detector.process(records, detected_at=datetime.now(UTC)).forwards == []
    changelog = f"{detectors_app_id(settings)}-school-state-changelog"
    producer = broker.durable_producer(settings, client_id="test-previous-owner")
    committer = broker.consumer(settings, group_id=detectors_app_id(settings))
    try:
        for record in changelog_records(store.take_changes(), changelog, settings.topic_partitions):
            producer.send(
                record.topic, key=record.key, value=record.value, partition=record.partition
            ).get(timeout=TIMEOUT)
        committer.commit(
            {
                TopicPartition(clock_topic(settings), p): OffsetAndMetadata(o + 1, "", -1)
                for p, o in offsets.items()
            }
        )
    finally:
        producer.close()
        committer.close()


def global_watermark(worker: WorkerProcess) -> float | None:
    """The global rules' watermark the worker exports; None before it has one."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=2
        ) as response:
            text = response.read().decode()
    except OSError:
        return None
    return next(
        (
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "qinglian_detectors_watermark_timestamp_seconds"
            and sample.labels.get("agent") == "global"
        ),
        None,
    )


def _difference(reader: TopicReader, expected: set[str]) -> str:
    seen = alert_ids(reader)
    return f"missing {len(expected - seen)}, unexpected {len(seen - expected)} of {len(expected)} expected"


def test_a_stuck_rule_step_is_quarantined_and_ended_and_a_worker_stuck_beyond_exits(
    scoped: Settings, start_worker: Starter
) -> None:
    """A rule stuck on an event for half the stall limit is quarantined and ended in place: the
    worker raises the event's other alerts and goes on. One that cannot be ended (stuck in C)
    makes the worker exit at the limit; started again, it skips that rule on that event, runs
    the event's other rules, and goes on. An idle worker is not stalled."""
    settings = scoped
    limit = 10.0  # the first stuck rule blocks the event loop for 5 s before it is ended
    stall_after = {"QINGLIAN_DETECTORS_STALL_RESTART_SECONDS": str(limit)}
    worker = start_worker("stuck", "--hanging-rule", environment=stall_after)
    publish_day(settings, 0, [worker])
    time.sleep(limit + 3)  # nothing waiting: idle is not stalled
    assert worker.process.poll() is None, worker.log_tail()
    alerts = TopicReader(settings, alerts_topic(settings))
    try:
        stuck = payment("500102000001", 900, 500_000, minutes=24 * 60)  # large: TA alerts on it
        stuck["data"]["hang"] = True  # the hanging rule never returns: the event loop is blocked
        publish(settings, [stuck])
        wait_until(
            lambda: large_payment_alert(stuck) in alert_ids(alerts),
            timeout=TIMEOUT,
            describe=lambda: worker.log_tail(),
        )
        assert worker.process.poll() is None, worker.log_tail()
        step = f"TH@1.0.0 event {stuck['id']}"
        logged = logged_events(worker)
        [quarantined] = [line for line in logged if line["event"] == "rule_steps_quarantined"]
        assert quarantined["steps"] == [step]
        assert any(line["event"] == "rule_step_interrupted" for line in logged)
        [ended] = [line for line in logged if line["event"] == "rule_error"]
        assert (ended["rule"], ended["event_id"]) == ("TH", stuck["id"])
        assert "quarantined" in ended["error"]
        assert not any(line["event"] == "detector_stalled" for line in logged)
        assert Quarantine(settings).read()[step]["rule"] == "TH"

        stubborn = payment("500102000001", 901, 600_000, minutes=24 * 60 + 1)
        stubborn["data"]["hang"] = "stubborn"
        publish(settings, [stubborn])
        try:
            assert worker.process.wait(timeout=TIMEOUT) == EXIT_STALLED, worker.log_tail()
        except subprocess.TimeoutExpired:
            pytest.fail(f"the stuck worker did not exit; its log:\n{worker.log_tail()}")
        [stalled] = [line for line in logged_events(worker) if line["event"] == "detector_stalled"]
        assert stalled["backlog"] >= 1
        # The stuck event, alone: it came after a quiet spell.
        stuck_batch = stalled["batches_in_progress"]["school"]
        assert stuck_batch["records"] == 1
        assert [
            source.startswith(raw_topic(settings, "finance") + "/")
            for source in stuck_batch["offsets"]
        ] == [True]
        stubborn_step = f"TH@1.0.0 event {stubborn['id']}"
        assert stalled["hung_steps"] == [stubborn_step]
        assert Quarantine(settings).read()[stubborn_step]["rule"] == "TH"

        restarted = start_worker("restarted", "--hanging-rule", environment=stall_after)
        publish_day(settings, 1, [restarted])
        assert restarted.process.poll() is None, restarted.log_tail()
        skipped = {
            (line["rule"], line["event_id"])
            for line in logged_events(restarted)
            if line["event"] == "rule_error"
        }
        # At least once: a rebalance as the dead worker's session expires may deliver it again.
        assert ("TH", stubborn["id"]) in skipped
        assert skipped <= {("TH", stubborn["id"]), ("TH", stuck["id"])}
        wait_until(
            lambda: large_payment_alert(stubborn) in alert_ids(alerts),
            timeout=TIMEOUT,
            describe=lambda: restarted.log_tail(),
        )
    finally:
        alerts.close()


def large_payment_alert(event: dict) -> str:
    [alert_id] = [alert.alert_id for alert in reference_alerts([event]) if alert.rule_id == "TA"]
    return alert_id


def logged_events(worker: WorkerProcess) -> list[dict]:
    """The worker's structured log lines; a line may follow faust's terminal escape codes (its
    spinner's "show cursor")."""
    return [
        orjson.loads(line[line.index("{") :])
        for line in worker.log_path.read_text().splitlines()
        if '"event"' in line
    ]
