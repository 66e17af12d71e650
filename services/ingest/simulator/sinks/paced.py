"""Releasing events at wall-clock pace for live demos: one simulated day becomes ``seconds_per_day`` seconds.

The pacing lives here, not in the generation core. What happened before the
scenario (the roll, the procurement lead-in) is sent at once; from the
scenario's first day on, each event waits until its place on the compressed clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.manifest import Manifest
from services.ingest.simulator.sinks.base import Sink

SECONDS_PER_DAY = 86_400


class PacedSink:
    def __init__(
        self,
        inner: Sink,
        *,
        seconds_per_day: float,
        scenario_start: datetime,
        monotonic: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._inner = inner
        self._ratio = seconds_per_day / SECONDS_PER_DAY
        self._origin = scenario_start
        self._monotonic = monotonic
        self._sleep = sleep
        self._started: float | None = None

    def event(self, simulated: SimulatedEvent) -> None:
        if simulated.time >= self._origin:
            if self._started is None:
                self._started = self._monotonic()
            due = self._started + (simulated.time - self._origin).total_seconds() * self._ratio
            wait = due - self._monotonic()
            if wait > 0:
                self._sleep(wait)
        self._inner.event(simulated)

    def anomaly(self, truth: GroundTruth) -> None:
        self._inner.anomaly(truth)

    def close(self, manifest: Manifest) -> None:
        self._inner.close(manifest)
