"""The simulator's push sink against the real push API app (in process): signatures, contracts, pseudonyms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from contracts.pii import clear_values
from qinglian.settings import Settings
from services.ingest.adapters.dedup_store import InMemoryDedupStore
from services.ingest.domain.sources import SigningKey, SourceRegistry, SourceSystem
from services.ingest.entrypoints.http import create_app
from services.ingest.service_layer.ports import Message
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.manifest import ManifestCounter
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.simulation import Simulation
from services.ingest.simulator.sinks.base import run
from services.ingest.simulator.sinks.push import PushSink

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
KEY = SigningKey("simulator", b"simulator-test-secret")


class KafkaStandIn:
    """Acknowledges every write and keeps it."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def publish(self, messages: Sequence[Message]) -> list[bool]:
        self.messages.extend(messages)
        return [True] * len(messages)


def test_a_simulated_district_is_accepted_by_the_push_api_and_pseudonymized() -> None:
    kafka = KafkaStandIn()
    sources = SourceRegistry.of(
        [SourceSystem("district-simulator", (KEY,), ("cn.edu.qinglian.*",), ("*",))]
    )
    app = create_app(
        Settings(),
        publisher=kafka,
        dedup_store=InMemoryDedupStore(),
        sources=sources,
        clock=lambda: NOW,
    )
    scenario = Scenario(schools=2, days=2, anomaly_rate=0.5)
    simulation = Simulation.prepare(scenario)
    with TestClient(app, base_url="http://ingest") as client:
        sink = PushSink(
            client, source_id="district-simulator", key=KEY, clock=lambda: NOW, sleep=lambda _: None
        )
        manifest = run(
            simulation.emissions(), sink, ManifestCounter(scenario, simulation.not_injected)
        )
    assert sink.accepted == manifest.events > 0
    published = [dict(message.value) for message in kafka.messages if message.cloudevent]
    assert len(published) == manifest.events
    assert not any(clear_values(event) for event in published)


def test_a_re_sent_district_is_answered_duplicate() -> None:
    kafka = KafkaStandIn()
    sources = SourceRegistry.of(
        [SourceSystem("district-simulator", (KEY,), ("cn.edu.qinglian.*",), ("*",))]
    )
    app = create_app(
        Settings(),
        publisher=kafka,
        dedup_store=InMemoryDedupStore(),
        sources=sources,
        clock=lambda: NOW,
    )
    scenario = Scenario(schools=1, days=1, anomaly_rate=0)
    events = [
        emission
        for emission in Simulation.prepare(scenario).emissions()
        if isinstance(emission, SimulatedEvent)
    ][:300]
    with TestClient(app, base_url="http://ingest") as client:
        first = PushSink(
            client, source_id="district-simulator", key=KEY, clock=lambda: NOW, sleep=lambda _: None
        )
        run(events, first, ManifestCounter(scenario, {}))
        again = PushSink(
            client, source_id="district-simulator", key=KEY, clock=lambda: NOW, sleep=lambda _: None
        )
        run(events, again, ManifestCounter(scenario, {}))
    assert (first.accepted, again.accepted, again.duplicates) == (300, 0, 300)
