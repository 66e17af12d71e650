"""Restart on stall: a worker with a backlog that reads nothing for too long exits, to be started again.

faust's consumer can stop fetching with no error while records wait (faust-streaming
#175, #640, #523, #629), and a rule stuck in a loop blocks the event loop; either way
only a new process gets the partitions moving again. The check runs on the lag
exporter's thread after each measurement of the worker's backlog, so it works while
the event loop is blocked too.

The waiting time counts from the latest of: the last progress (a record read, or a
changelog record applied while the worker recovers its tables after a rebalance), and the
last measurement that found no backlog. So a recovery that moves is not a stall however
long it takes, and one that hangs (faust-streaming #74, #229, #432) is. A measurement that
fails (the broker is unreachable) checks nothing: a new process would not reach it either.

Each measurement also notes the rule step each agent is running (``StepWatch``). A step seen
running for half the limit or more is a rule stuck in a loop: it is quarantined and ended in
place (``quarantine``, ``interrupt``). One that could not be ended is named in the log when the
worker stalls and quarantined again, so that the restarted worker skips it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from services.detectors.core.engine import RuleStep
from services.detectors.runtime.quarantine import HungStep
from services.detectors.runtime.records import Record

log = structlog.get_logger("qinglian.detectors")

EXIT_STALLED = 75
"""The worker's exit status on a stall (EX_TEMPFAIL): its supervisor starts it again
(compose's ``restart: unless-stopped``, systemd's ``Restart=on-failure``)."""


@dataclass(frozen=True, slots=True)
class BatchInProgress:
    seconds: float
    records: int
    offsets: dict[str, tuple[int, int]]
    """First and last offset per "topic/partition"."""
    step: RuleStep | None = None
    """The rule step running now, if any."""

    def describe(self) -> str:
        return (
            ", ".join(
                f"{source} offsets {first}–{last}" for source, (first, last) in self.offsets.items()
            )
            or "none read"
        )


def in_progress(
    records: Sequence[Record], seconds: float, step: RuleStep | None = None
) -> BatchInProgress:
    offsets: dict[str, tuple[int, int]] = {}
    for record in records:
        source = f"{record.topic}/{record.partition}"
        first, _ = offsets.get(source, (record.offset, record.offset))
        offsets[source] = (first, record.offset)
    return BatchInProgress(seconds, len(records), offsets, step)


class StallWatch:
    def __init__(self, limit_seconds: float, *, started_at: float) -> None:
        self.limit_seconds = limit_seconds
        self._calm_at = started_at
        """The last progress seen, or the last moment nothing was waiting for the worker."""

    def waited(self, now: float, *, progress_at: float, backlog: int) -> float | None:
        """Seconds the worker has had a backlog and made no progress, once beyond the limit; else None.

        ``progress_at``: when the worker last made progress.
        """
        if backlog == 0:
            self._calm_at = now
        self._calm_at = max(self._calm_at, progress_at)
        waited = now - self._calm_at
        return waited if waited > self.limit_seconds else None


class StepWatch:
    """How long each agent has been running the same rule step, from one measurement to the next."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[RuleStep, float]] = {}

    def hung(
        self, now: float, batches: Mapping[str, BatchInProgress], *, at_least: float
    ) -> list[HungStep]:
        """Note the steps in progress now; those seen running for ``at_least`` seconds."""
        seen: dict[str, tuple[RuleStep, float]] = {}
        for agent, batch in batches.items():
            if batch.step is not None:
                step, since = self._seen.get(agent, (batch.step, now))
                seen[agent] = (batch.step, since if step == batch.step else now)
        self._seen = seen
        return [
            HungStep(step, now - since, batches[agent].describe())
            for agent, (step, since) in seen.items()
            if now - since >= at_least
        ]


def exit_stalled(
    waited: float,
    backlog: int,
    batches: Mapping[str, BatchInProgress],
    hung: Sequence[HungStep] = (),
    *,
    quarantine: Callable[[Sequence[HungStep]], None] | None = None,
) -> None:
    """Log why, quarantine the hung steps, and exit at once: a stalled consumer may never finish a
    graceful stop. The worker is built to be killed at any moment (see ``runner``), so nothing
    acknowledged is lost. ``batches``: what each agent was busy with; a batch as old as the stall
    is one that never finished (a rule or a publish that did not return), none means the consumer
    stopped fetching. ``hung``: the rule steps that ran long enough to be stuck."""
    if batches:
        cause = "; ".join(
            f"the {agent} agent's batch of {batch.records} records has run {batch.seconds:.0f} s ({batch.describe()})"
            for agent, batch in batches.items()
        )
    else:
        cause = "no batch in progress: the consumer fetched nothing"
    if hung:
        cause += "; stuck in " + ", ".join(
            f"{step.step.label} ({step.seconds:.0f} s)" for step in hung
        )
    log.error(
        "detector_stalled",
        waited_seconds=round(waited, 1),
        backlog=backlog,
        batches_in_progress={
            agent: {**dataclasses.asdict(batch), "step": batch.step.label if batch.step else None}
            for agent, batch in batches.items()
        },
        hung_steps=[step.step.label for step in hung],
        exit_status=EXIT_STALLED,
        message=f"检测 worker 停滞，退出以便重启 / read nothing for {waited:.0f} s with {backlog} messages waiting; "
        f"{cause}; exiting with status {EXIT_STALLED} so that its supervisor starts it again",
    )
    if hung and quarantine is not None:
        try:
            quarantine(hung)
            log.error("rule_steps_quarantined", steps=[step.step.label for step in hung])
        except Exception as exc:  # noqa: BLE001 - exit all the same: the next stall tries again
            log.error("quarantine_failed", steps=[step.step.label for step in hung], error=str(exc))
    logging.shutdown()
    os._exit(EXIT_STALLED)
