"""The imperative shell around the generation core: sinks, pacing, the progress bar, the summary."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Self

import httpx
from tqdm import tqdm

from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.domain.sources import SigningKey
from services.ingest.simulator.context import CHINA
from services.ingest.simulator.emissions import Emission, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import Manifest, ManifestCounter
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.simulation import Simulation
from services.ingest.simulator.sinks.base import Sink, TeeSink, run
from services.ingest.simulator.sinks.files import FileSink
from services.ingest.simulator.sinks.paced import PacedSink
from services.ingest.simulator.sinks.pulled import PulledSink, pull_routes
from services.ingest.simulator.sinks.push import PushSink


@dataclass(frozen=True, slots=True)
class Outputs:
    folder: Path | None = None
    push_url: str | None = None
    source_id: str = "district-simulator"
    key_id: str = "simulator"
    secret_file: Path | None = None
    seconds_per_day: float | None = None
    """Wall-clock pace for live demos; None sends as fast as the sinks take it."""
    connectors_file: Path | None = None
    """Events of the types its connectors read go to those connectors' sources; the rest are pushed or filed."""
    rest_source: Path | None = None
    """Where the records of the connectors file's REST connectors are kept (served by the demo)."""


def simulate_to(scenario: Scenario, outputs: Outputs, *, progress: bool) -> Manifest:
    simulation = Simulation.prepare(scenario)
    sink = _sinks(outputs)
    if outputs.seconds_per_day is not None:
        origin = datetime.combine(scenario.start, clock_time.min, CHINA)
        sink = PacedSink(
            sink,
            seconds_per_day=outputs.seconds_per_day,
            scenario_start=origin,
            monotonic=time.monotonic,
            sleep=time.sleep,
        )
    with _ProgressBar(scenario, enabled=progress) as bar:
        return run(
            simulation.emissions(),
            sink,
            ManifestCounter(scenario, simulation.not_injected),
            progress=bar.update,
        )


def _sinks(outputs: Outputs) -> Sink:
    sinks: list[Sink] = []
    if outputs.push_url:
        sinks.append(_push_sink(outputs))
    if outputs.folder:
        sinks.append(FileSink(outputs.folder, events=not outputs.push_url))
    sink = sinks[0] if len(sinks) == 1 else TeeSink(*sinks)
    if outputs.connectors_file is not None:
        sink = PulledSink(
            sink,
            pull_routes(load_connectors(outputs.connectors_file), rest_source=outputs.rest_source),
        )
    return sink


def _push_sink(outputs: Outputs) -> Sink:
    if outputs.secret_file is None:
        raise SinkError(
            "推送需要密钥 / --push needs --secret-file with the source's signing secret"
        )
    try:
        secret = outputs.secret_file.read_bytes().strip()
    except OSError as exc:
        raise SinkError(
            f"无法读取密钥文件 / cannot read {outputs.secret_file}: {exc.strerror}"
        ) from exc
    client = httpx.Client(base_url=outputs.push_url or "", timeout=30.0)
    key = SigningKey(outputs.key_id, secret)
    return PushSink(
        client,
        source_id=outputs.source_id,
        key=key,
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
    )


class _ProgressBar:
    """Simulated days done, on stderr; the events before the scenario (roll, lead-in) count as day 0."""

    def __init__(self, scenario: Scenario, *, enabled: bool) -> None:
        self._scenario = scenario
        self._bar = tqdm(
            total=scenario.days,
            unit="天/day",
            file=sys.stderr,
            disable=not enabled,
            desc="模拟 / simulating",
        )
        self._done = 0
        self._events = 0

    def update(self, emission: Emission) -> None:
        if not isinstance(emission, SimulatedEvent):
            return
        self._events += 1
        reached = min((emission.time.date() - self._scenario.start).days, self._scenario.days)
        if reached > self._done:
            self._bar.update(reached - self._done)
            self._done = reached
            self._bar.set_postfix(events=self._events)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.update(self._scenario.days - self._done)
        self._bar.close()
