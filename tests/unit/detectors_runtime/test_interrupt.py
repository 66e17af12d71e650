"""Ending a hung rule step in place: quarantined first, then a signal to the main thread."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import replace
from typing import Any

from kafka.errors import KafkaTimeoutError

from services.detectors.core.engine import Engine, RuleStep
from services.detectors.core.rule import StatefulRule, Step
from services.detectors.errors import RuleEvaluationError, StepQuarantinedError
from services.detectors.runtime.interrupt import INTERRUPT_SIGNAL, StepInterrupter, end_hung_steps
from services.detectors.runtime.quarantine import HungStep
from services.detectors.runtime.stall import BatchInProgress
from services.detectors.testing import DETECTED_AT
from tests.unit.detectors.test_engine import counting_rule, deadline_rule, engine_for, meal
from tests.unit.detectors_runtime.quarantines import WritingQuarantine

STEP = RuleStep("TH", "1.0.0", "ev-1")
HUNG = HungStep(STEP, 300.0, "raw.finance/0 offsets 4–4")


class CountingInterrupter(StepInterrupter):
    def __init__(self) -> None:
        super().__init__()
        self.interrupts = 0

    def interrupt(self) -> None:
        self.interrupts += 1


def running(step: RuleStep | None) -> dict[str, BatchInProgress]:
    return {"school": BatchInProgress(300.0, 1, {"raw.finance/0": (4, 4)}, step)}


def test_a_hung_step_is_quarantined_then_interrupted() -> None:
    quarantine, interrupter = WritingQuarantine([]), CountingInterrupter()
    end_hung_steps([HUNG], running(STEP), quarantine=quarantine, interrupter=interrupter)
    assert list(quarantine.written) == ["TH@1.0.0 event ev-1"]
    assert quarantine.labels == {"TH@1.0.0 event ev-1"}
    assert interrupter.interrupts == 1


def test_a_step_quarantined_before_is_interrupted_and_not_written_again() -> None:
    """Quarantined by this worker at an earlier measurement, or by another worker."""
    quarantine, interrupter = WritingQuarantine([]), CountingInterrupter()
    quarantine.labels.add("TH@1.0.0 event ev-1")
    end_hung_steps([], running(STEP), quarantine=quarantine, interrupter=interrupter)
    end_hung_steps([HUNG], running(STEP), quarantine=quarantine, interrupter=interrupter)
    assert quarantine.written == {}
    assert interrupter.interrupts == 2


def test_nothing_quarantined_in_progress_is_not_interrupted() -> None:
    quarantine, interrupter = WritingQuarantine([]), CountingInterrupter()
    quarantine.labels.add("TH@1.0.0 event ev-1")
    for batches in (running(None), running(RuleStep("TH", "1.0.0", "ev-2")), {}):
        end_hung_steps([], batches, quarantine=quarantine, interrupter=interrupter)
    assert interrupter.interrupts == 0


def test_a_step_whose_quarantine_cannot_be_written_runs_on() -> None:
    """Ending it here would skip a step that a replay, or the worker started again, runs."""

    class Unwritable(WritingQuarantine):
        def _write(self, values: dict[str, bytes | None]) -> None:
            raise KafkaTimeoutError("no acknowledgement in 10 s")

    quarantine, interrupter = Unwritable([]), CountingInterrupter()
    end_hung_steps([HUNG], running(STEP), quarantine=quarantine, interrupter=interrupter)
    assert quarantine.labels == set()
    assert interrupter.interrupts == 0


def test_the_signal_ends_a_rule_stuck_in_the_main_thread_and_the_engine_goes_on() -> None:
    """A real signal, sent from another thread, as the stall watch sends it."""
    engine: Engine
    skipped: set[str] = set()

    def stuck(state: Any, event: Any, ctx: Any) -> Step:
        deadline = time.monotonic() + 20
        while event["id"] == "m1" and time.monotonic() < deadline:
            time.sleep(0.05)
        return Step(state, None)

    stuck_rule = StatefulRule(
        replace(deadline_rule().meta, id="T8"),
        deadline_rule().state_keys,
        stuck,
        lambda state, ctx: Step(state, None),
    )
    errors: list[RuleEvaluationError] = []
    engine = engine_for(stuck_rule, counting_rule(), on_rule_error=errors.append, skipped=skipped)
    interrupter = StepInterrupter()
    interrupter.watch(engine)

    def watch_and_interrupt() -> None:
        while engine.step_in_progress() is None:
            time.sleep(0.01)
        skipped.add(engine.step_in_progress().label)  # type: ignore[union-attr]
        interrupter.interrupt()

    previous = signal.getsignal(INTERRUPT_SIGNAL)
    interrupter.install()
    try:
        watcher = threading.Thread(target=watch_and_interrupt)
        started = time.monotonic()
        watcher.start()
        engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
        ended_after = time.monotonic() - started
        watcher.join()
    finally:
        signal.signal(INTERRUPT_SIGNAL, previous)
    assert ended_after < 10, "the stuck rule ran to its own deadline: the signal did not end it"
    assert [(e.rule_id, e.event_id, type(e.cause)) for e in errors] == [
        ("T8", "m1", StepQuarantinedError)
    ]
    assert engine.store.get("T8", "500102001|deadline") is None
    assert engine.store.get("T2", "500102001|count")["state"]["meals"] == ["m1"]  # type: ignore[index]
    engine.process(meal("m2", "2026-09-01T12:01:00+08:00"), detected_at=DETECTED_AT)
    assert engine.store.get("T8", "500102001|deadline") is not None
