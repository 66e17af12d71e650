"""Quarantine: a rule step that hung a worker is skipped from then on, by every worker and replay.

Rules are pure, so a rule stuck in a loop on an event is stuck on it every time: a worker
the stall watch restarts (``stall``) would read the same batch again and hang again, every
``QINGLIAN_DETECTORS_STALL_RESTART_SECONDS``. So a rule step the stall watch sees running for
half that limit is recorded in the quarantine topic, a compacted topic keyed by the step's label
(``RuleStep.label``: rule, version, event or timer), then ended where it runs (``interrupt``);
one that cannot be ended makes the worker exit at the limit, and is recorded again then. Workers
read the topic at start and again every lag interval, on a thread of its own; replays read it
too, and give the same alerts as the workers. The engine skips a quarantined step as a failed
one: logged, counted in ``qinglian_detectors_rule_errors_total``, which Prometheus alerts on.
The event's other rules run as usual. The label carries the rule's version: a release that
fixes the rule runs the step again. ``qinglian detectors quarantine list`` shows the steps,
``release`` lifts one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from kafka.errors import KafkaError

from qinglian import broker
from qinglian.errors import QinglianError
from qinglian.settings import Settings
from qinglian.topics import quarantine_topic
from services.detectors.core.engine import RuleStep
from services.detectors.core.eventtime import format_time
from services.detectors.errors import DetectorError
from services.detectors.runtime.reading import MissingTopicsError, read_range
from services.detectors.runtime.records import Record

log = structlog.get_logger("qinglian.detectors")

QUARANTINE_SCHEMA = "qinglian.detectors.quarantine.v1"
WRITE_TIMEOUT_SECONDS = 10.0


class QuarantineError(DetectorError):
    pass


@dataclass(frozen=True, slots=True)
class HungStep:
    """A rule step a worker saw running for ``seconds`` when it stalled."""

    step: RuleStep
    seconds: float
    batch: str
    """Where its batch came from ("topic/partition offsets first–last, ...")."""


def quarantined(records: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """The quarantine as its records leave it, read in order: label → entry (a tombstone lifts one)."""
    entries: dict[str, dict[str, Any]] = {}
    for record in records:
        label = (record.key or b"").decode()
        if record.value is None:
            entries.pop(label, None)
        else:
            entries[label] = orjson.loads(record.value)
    return entries


def entry(hung: HungStep, *, worker: str, at: datetime) -> dict[str, Any]:
    step = hung.step
    return {
        "schema": QUARANTINE_SCHEMA,
        "step": step.label,
        "rule": step.rule_id,
        "rule_version": step.rule_version,
        "event_id": step.event_id,
        "key": step.key,
        "due": format_time(step.due) if step.due else None,
        "ran_seconds": round(hung.seconds, 1),
        "batch": hung.batch,
        "worker": worker,
        "at": format_time(at),
    }


class Quarantine:
    """The labels of the quarantined steps, in one set that the engines read and ``refresh`` fills."""

    def __init__(
        self, settings: Settings, *, on_count: Callable[[int], None] = lambda count: None
    ) -> None:
        """``on_count``: told how many steps are quarantined after each read and record."""
        self._settings = settings
        self._on_count = on_count
        self.labels: set[str] = set()
        self._changing = threading.Lock()
        self._recorded = 0
        """Writes made by ``record`` so far: a read begun before the latest may not hold it."""

    def refresh(self) -> None:
        """Read the topic again (it holds a handful of records): labels added and lifted since."""
        recorded = self._recorded
        labels = set(self.read())
        with self._changing:
            lifted = self.labels - labels if self._recorded == recorded else set()
            for label in labels - self.labels:
                log.warning("rule_step_quarantined", step=label)
            for label in lifted:
                log.info("rule_step_released", step=label)
            self.labels.update(labels)  # in place: the engines hold this set
            self.labels.difference_update(lifted)
            self._on_count(len(self.labels))

    def follow(self, interval: float) -> threading.Thread:
        """``refresh`` every ``interval`` seconds on a daemon thread of its own, so that a read
        that hangs (the broker went away mid-read) holds up nothing else, the stall watch least."""

        def run() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.refresh()
                except (KafkaError, QinglianError, OSError) as exc:
                    log.warning("quarantine_unavailable", error=str(exc))

        thread = threading.Thread(target=run, name="quarantine", daemon=True)
        thread.start()
        return thread

    def read(self) -> dict[str, dict[str, Any]]:
        """label → entry; empty before the topic exists (no worker has started yet)."""
        try:
            return quarantined(
                read_range(self._settings, [quarantine_topic(self._settings)], start=None, end=None)
            )
        except MissingTopicsError:
            return {}

    def record(self, hung: Iterable[HungStep]) -> None:
        """Write the steps and wait for the broker's acknowledgement (at most
        ``WRITE_TIMEOUT_SECONDS``); then this worker skips them at once."""
        worker, at = socket.gethostname(), datetime.now(UTC)
        written = {
            step.step.label: orjson.dumps(entry(step, worker=worker, at=at)) for step in hung
        }
        self._write(written)
        with self._changing:
            self.labels.update(written)
            self._recorded += 1
            self._on_count(len(self.labels))

    def release(self, label: str) -> None:
        """Lift one step's quarantine: workers run it again from their next read of the topic."""
        if label not in self.read():
            raise QuarantineError(
                f"未隔离 / no quarantined step {label!r}; `qinglian detectors quarantine list` shows them"
            )
        self._write({label: None})

    def _write(self, values: dict[str, bytes | None]) -> None:
        """One record per label (None: a tombstone), each acknowledged by the broker."""
        producer = broker.durable_producer(self._settings, "qinglian-detectors-quarantine")
        try:
            topic = quarantine_topic(self._settings)
            pending = [
                producer.send(topic, key=label.encode(), value=value)
                for label, value in values.items()
            ]
            for future in pending:
                future.get(timeout=WRITE_TIMEOUT_SECONDS)
        finally:
            producer.close(timeout=WRITE_TIMEOUT_SECONDS)
