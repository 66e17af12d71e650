"""The sink protocol and the loop that feeds one from the generation core."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from services.ingest.simulator.emissions import Emission, GroundTruth, SimulatedEvent
from services.ingest.simulator.manifest import Manifest, ManifestCounter


class Sink(Protocol):
    def event(self, simulated: SimulatedEvent) -> None:
        """Take one event; events arrive in event-time order."""

    def anomaly(self, truth: GroundTruth) -> None:
        """Take one ground-truth record."""

    def close(self, manifest: Manifest) -> None:
        """Flush and finish; the manifest counts everything that was sent."""


class TeeSink:
    def __init__(self, *sinks: Sink) -> None:
        self._sinks = sinks

    def event(self, simulated: SimulatedEvent) -> None:
        for sink in self._sinks:
            sink.event(simulated)

    def anomaly(self, truth: GroundTruth) -> None:
        for sink in self._sinks:
            sink.anomaly(truth)

    def close(self, manifest: Manifest) -> None:
        for sink in self._sinks:
            sink.close(manifest)


def run(
    emissions: Iterable[Emission],
    sink: Sink,
    counter: ManifestCounter,
    *,
    progress: Callable[[Emission], None] | None = None,
) -> Manifest:
    """Feed every emission to ``sink``, count it, close the sink with the manifest and return it."""
    for emission in emissions:
        if isinstance(emission, SimulatedEvent):
            sink.event(emission)
        else:
            sink.anomaly(emission)
        counter.count(emission)
        if progress is not None:
            progress(emission)
    manifest = counter.manifest()
    sink.close(manifest)
    return manifest
