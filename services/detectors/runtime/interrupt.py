"""Ending a hung rule step where it runs, so that the worker goes on without a restart.

A rule stuck in a loop blocks the worker's event loop, in the main thread. The stall watch
(on the lag exporter's thread) sees the step run for half its limit, quarantines it
(``quarantine``), then sends the main thread ``INTERRUPT_SIGNAL``. CPython runs a signal's
handler in the main thread between two bytecodes of whatever runs there, and this one asks the
detectors to end the step in progress if it is quarantined (``Engine.end_skipped_step``). That
raises ``StepQuarantinedError`` inside the rule: the step fails like a skipped one (a rule error,
nothing saved) and the batch goes on, in the same process, with the same alerts a replay that
skips the step gives. A step quarantined by another worker is ended the same way, at the next
measurement after this worker reads the quarantine.

The handler only raises while the engine runs rule code of a quarantined step, so a signal that
comes late ends nothing. A rule stuck inside one C call that never returns to the interpreter
does not run the handler: the stall watch's exit at its limit stays the fallback.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Protocol

import structlog
from kafka.errors import KafkaError

from qinglian.errors import QinglianError
from services.detectors.runtime.quarantine import HungStep, Quarantine
from services.detectors.runtime.stall import BatchInProgress

log = structlog.get_logger("qinglian.detectors")

INTERRUPT_SIGNAL = signal.SIGRTMIN
"""Not SIGUSR1 or SIGUSR2: mode's worker (under faust's) handles those."""


class EndsSkippedSteps(Protocol):
    def end_skipped_step(self) -> None: ...


class StepInterrupter:
    """The signal's handler over the worker's detectors, and the way to send it."""

    def __init__(self) -> None:
        self._detectors: list[EndsSkippedSteps] = []

    def watch(self, *detectors: EndsSkippedSteps) -> None:
        self._detectors.extend(detectors)

    def install(self) -> None:
        """Handle the signal from now on; called in the main thread, before the worker runs."""
        signal.signal(INTERRUPT_SIGNAL, self._handle)

    def interrupt(self) -> None:
        """From any thread: have the main thread end the quarantined step it runs, if any."""
        signal.pthread_kill(threading.main_thread().ident or 0, INTERRUPT_SIGNAL)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        for detector in self._detectors:
            detector.end_skipped_step()


def end_hung_steps(
    hung: Sequence[HungStep],
    batches: Mapping[str, BatchInProgress],
    *,
    quarantine: Quarantine,
    interrupter: StepInterrupter,
) -> None:
    """Quarantine the ``hung`` steps not yet quarantined, then interrupt the worker if a step in
    progress (of ``batches``) is quarantined. A step whose quarantine could not be written is
    left running: the worker must not skip a step that replays and restarted workers would run."""
    new = [step for step in hung if step.step.label not in quarantine.labels]
    if new:
        labels = [step.step.label for step in new]
        try:
            quarantine.record(new)
        except (KafkaError, QinglianError, OSError) as exc:
            log.error("quarantine_failed", steps=labels, error=str(exc))
        else:
            log.error(
                "rule_steps_quarantined",
                steps=labels,
                message=f"规则步骤卡住，已隔离 / quarantined the rule steps {', '.join(labels)}, "
                "stuck for half the stall limit; ending them",
            )
    running = [
        batch.step.label
        for batch in batches.values()
        if batch.step is not None and batch.step.label in quarantine.labels
    ]
    if running:
        log.warning("rule_step_interrupted", steps=running)
        interrupter.interrupt()
