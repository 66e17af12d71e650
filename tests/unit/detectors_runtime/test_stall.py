"""The stall watch: a worker with a backlog that makes no progress beyond its limit is stalled, and only then."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

from faust.types import TP
from kafka import TopicPartition

from qinglian.metrics import new_registry
from services.detectors.core.engine import RuleStep
from services.detectors.runtime.metrics import DetectorMetrics
from services.detectors.runtime.quarantine import HungStep
from services.detectors.runtime.records import Record
from services.detectors.runtime.stall import EXIT_STALLED, BatchInProgress, StallWatch, StepWatch
from services.detectors.runtime.worker import observe_backlog

LIMIT = 600.0


def test_a_backlog_with_no_progress_beyond_the_limit_is_a_stall() -> None:
    watch = StallWatch(LIMIT, started_at=0.0)
    assert watch.waited(100.0, progress_at=0.0, backlog=0) is None
    assert watch.waited(700.0, progress_at=0.0, backlog=5) is None  # 600 s since the backlog was 0
    assert watch.waited(701.0, progress_at=0.0, backlog=5) == 601.0


def test_reading_keeps_a_worker_with_a_backlog_from_stalling() -> None:
    watch = StallWatch(LIMIT, started_at=0.0)
    for now in range(0, 3000, 15):
        assert watch.waited(float(now), progress_at=now - 14.0, backlog=40_000) is None


def test_a_quiet_night_then_a_backlog_counts_from_the_last_measurement_without_one() -> None:
    watch = StallWatch(LIMIT, started_at=0.0)
    assert watch.waited(36_000.0, progress_at=60.0, backlog=0) is None  # ten hours, nothing to read
    assert watch.waited(36_015.0, progress_at=60.0, backlog=3) is None
    assert watch.waited(36_601.0, progress_at=60.0, backlog=3) == 601.0


class Worker:
    """A worker's metrics and app, its lag exporter's callback, and the stalls it reported."""

    def __init__(self, watch: StallWatch | None, times: list[float]) -> None:
        self.metrics = DetectorMetrics(new_registry())
        self.metrics.observe_assignment([TP("raw", 0)])
        self.recovery = SimpleNamespace(_last_active_event_processed_at=None)
        self.stalls: list[tuple[float, int, Mapping[str, BatchInProgress], Sequence[HungStep]]] = []
        self.hung: list[tuple[Sequence[HungStep], Mapping[str, BatchInProgress]]] = []
        clock = iter(times)
        self.on_measure = observe_backlog(
            SimpleNamespace(tables=SimpleNamespace(recovery=self.recovery)),  # type: ignore[arg-type]
            self.metrics,
            watch,
            clock=lambda: next(clock),
            on_stall=lambda waited, backlog, batches, hung: self.stalls.append(
                (waited, backlog, batches, hung)
            ),
            on_hung=lambda hung, batches: self.hung.append((hung, batches)),
        )

    def measure(self, backlog: int) -> float | None:
        self.on_measure({TopicPartition("raw", 0): backlog})
        return self.metrics.registry.get_sample_value("qinglian_detectors_backlog_messages")


def test_each_measurement_sets_the_backlog_and_a_stall_is_reported() -> None:
    worker = Worker(StallWatch(LIMIT, started_at=0.0), [100.0, 800.0])
    assert worker.measure(4) == 4
    assert worker.stalls == []
    assert worker.measure(9) == 9
    assert worker.stalls == [(800.0, 9, {}, [])]


def test_records_read_and_a_recovery_that_moves_are_progress() -> None:
    worker = Worker(StallWatch(LIMIT, started_at=0.0), [100.0, 800.0, 1500.0, 2200.0])
    worker.measure(9)
    worker.metrics.note_read(700.0)
    worker.measure(9)
    worker.recovery._last_active_event_processed_at = (
        time.monotonic() - 2.0
    )  # a changelog record 2 s ago
    worker.measure(9)
    assert worker.stalls == []
    assert abs(worker.metrics.last_read - 1498.0) < 1.0  # and the last-event metric says so
    worker.recovery._last_active_event_processed_at = None  # recovered; reads nothing since
    worker.measure(9)
    assert len(worker.stalls) == 1
    assert abs(worker.stalls[0][0] - 702.0) < 1.0


def test_a_stall_names_the_batch_that_never_finished() -> None:
    worker = Worker(StallWatch(LIMIT, started_at=0.0), [100.0, 800.0])
    worker.measure(9)
    worker.metrics.batch_begun(
        "school",
        [_record("raw.finance", 3, 41), _record("clock", 0, 7), _record("raw.finance", 3, 44)],
        90.0,
    )
    worker.metrics.batch_begun("global", [], 95.0)
    worker.metrics.batch_done("global")
    worker.measure(9)
    assert worker.stalls == [
        (
            800.0,
            9,
            {"school": BatchInProgress(710.0, 3, {"raw.finance/3": (41, 44), "clock/0": (7, 7)})},
            [],
        )
    ]
    assert (
        worker.metrics.registry.get_sample_value(
            "qinglian_detectors_batch_started_timestamp_seconds", {"agent": "school"}
        )
        == 90.0
    )
    assert (
        worker.metrics.registry.get_sample_value(
            "qinglian_detectors_batch_started_timestamp_seconds", {"agent": "global"}
        )
        == 0
    )


def _record(topic: str, partition: int, offset: int) -> Record:
    return Record(topic, partition, offset, None, b"500102000001", b"{}")


def test_without_a_watch_only_the_backlog_is_set() -> None:
    worker = Worker(None, [])
    assert worker.measure(9) == 9
    assert worker.stalls == []


def test_a_stalled_worker_logs_why_and_exits_with_status_75() -> None:
    code = (
        "from services.detectors.runtime.stall import BatchInProgress, exit_stalled\n"
        "exit_stalled(612.4, 37, {'school': BatchInProgress(610.0, 2, {'raw.finance/3': (41, 44)})})\n"
        "print('not reached')"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == EXIT_STALLED == 75
    assert "not reached" not in finished.stdout
    output = finished.stdout + finished.stderr
    assert "detector_stalled" in output
    assert "read nothing for 612 s with 37 messages waiting" in output
    assert (
        "the school agent's batch of 2 records has run 610 s (raw.finance/3 offsets 41–44)"
        in output
    )


def test_a_stall_with_no_batch_in_progress_is_the_consumer_fetching_nothing() -> None:
    code = "from services.detectors.runtime.stall import exit_stalled; exit_stalled(700.0, 5, {})"
    finished = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == EXIT_STALLED
    assert "no batch in progress: the consumer fetched nothing" in finished.stdout + finished.stderr


STEP = RuleStep("F6", "1.2.0", "ev-41")


def test_a_step_seen_running_for_half_the_limit_is_hung() -> None:
    steps = StepWatch()
    running = {"school": BatchInProgress(10.0, 3, {"raw.finance/3": (41, 44)}, STEP)}
    assert steps.hung(100.0, running, at_least=300.0) == []
    assert steps.hung(399.0, running, at_least=300.0) == []
    assert steps.hung(400.0, running, at_least=300.0) == [
        HungStep(STEP, 300.0, "raw.finance/3 offsets 41–44")
    ]


def test_another_step_or_none_starts_the_count_again() -> None:
    steps = StepWatch()
    batch = BatchInProgress(10.0, 3, {"raw.finance/3": (41, 44)}, STEP)
    steps.hung(100.0, {"school": batch}, at_least=300.0)
    next_step = BatchInProgress(
        20.0, 3, {"raw.finance/3": (41, 44)}, RuleStep("F6", "1.2.0", "ev-42")
    )
    assert steps.hung(400.0, {"school": next_step}, at_least=300.0) == []  # a slow batch, moving
    steps.hung(500.0, {}, at_least=300.0)
    assert (
        steps.hung(800.0, {"school": batch}, at_least=300.0) == []
    )  # the same step, met again later
    assert len(steps.hung(1100.0, {"school": batch}, at_least=300.0)) == 1


def test_a_stall_names_the_rule_step_that_ran_since_half_the_limit() -> None:
    worker = Worker(StallWatch(LIMIT, started_at=0.0), [100.0, 399.0, 800.0])
    stuck = [STEP]
    worker.metrics.batch_begun("school", [_record("raw.finance", 3, 41)], 90.0, lambda: stuck[0])
    worker.measure(9)
    worker.measure(9)
    worker.measure(9)
    [(_, _, batches, hung)] = worker.stalls
    assert batches["school"].step == STEP
    assert hung == [HungStep(STEP, 700.0, "raw.finance/3 offsets 41–41")]


def test_every_measurement_tells_the_hung_steps_and_the_batches_in_progress() -> None:
    """So that a hung step is ended at half the limit, before the worker stalls."""
    worker = Worker(StallWatch(LIMIT, started_at=0.0), [100.0, 399.0, 400.0])
    worker.metrics.batch_begun("school", [_record("raw.finance", 3, 41)], 90.0, lambda: STEP)
    for _ in range(3):
        worker.measure(9)
    assert [hung for hung, _ in worker.hung] == [
        [],
        [],
        [HungStep(STEP, 300.0, "raw.finance/3 offsets 41–41")],
    ]
    assert {batches["school"].step for _, batches in worker.hung} == {STEP}
    assert worker.stalls == []


def test_a_stall_in_a_rule_step_quarantines_it_then_exits() -> None:
    """The quarantine is written before the exit, and a failed write does not keep the worker up."""
    for failing, logged in ((False, "rule_steps_quarantined"), (True, "quarantine_failed")):
        code = (
            "import sys\n"
            "from services.detectors.core.engine import RuleStep\n"
            "from services.detectors.runtime.quarantine import HungStep\n"
            "from services.detectors.runtime.stall import BatchInProgress, exit_stalled\n"
            "step = RuleStep('F6', '1.2.0', 'ev-41')\n"
            "def quarantine(hung):\n"
            f"    if {failing}: raise OSError('the broker is unreachable')\n"
            "    print('quarantined', [h.step.label for h in hung])\n"
            "exit_stalled(612.4, 37, {'school': BatchInProgress(610.0, 2, {'raw.finance/3': (41, 44)}, step)},\n"
            "             [HungStep(step, 605.0, 'raw.finance/3 offsets 41–44')], quarantine=quarantine)\n"
            "print('not reached')"
        )
        finished = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
        )
        assert finished.returncode == EXIT_STALLED
        output = finished.stdout + finished.stderr
        assert "not reached" not in output
        assert "stuck in F6@1.2.0 event ev-41 (605 s)" in output
        assert ("quarantined ['F6@1.2.0 event ev-41']" in output) is not failing
        assert logged in output
