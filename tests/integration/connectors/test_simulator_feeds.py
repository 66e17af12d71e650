"""The simulator feeds each pull connector kind of the demo's connectors file, and the real connector, pulling
while the district runs, puts every routed event on Kafka once, under the id the simulator's sink reported:
a 前置库 on PostgreSQL, a REST source over HTTP, an OCDS folder — against the real broker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from qinglian.demo import REST_TOKEN_VARIABLE, DemoPaths, write_connectors
from qinglian.settings import Settings
from qinglian.topics import raw_topic
from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.bootstrap import build_connector
from services.ingest.connectors.domain.spec import ConnectorSpec, Kind, event_types
from services.ingest.connectors.service_layer.pull import PullDeps, drain
from services.ingest.connectors.writers.rest_source import (
    RestSourceStore,
    create_source_app,
    serving,
)
from services.ingest.simulator.emissions import Emission, SimulatedEvent
from services.ingest.simulator.manifest import ManifestCounter
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.simulation import Simulation
from services.ingest.simulator.sinks.base import run
from services.ingest.simulator.sinks.files import FileSink
from services.ingest.simulator.sinks.pulled import PulledSink, pull_routes
from tests.integration.ingest.conftest import TopicTail

pytestmark = pytest.mark.integration

SCENARIO = Scenario(seed=3, schools=4, days=6)
PULL_EVERY = (
    2000  # emissions between two pulls: the connector reads while the district is still writing
)
TOKEN = "integration-token"


def demo_connector(
    home: Path, kind: Kind, connector_id: str, rest_url: str, **overrides: Any
) -> ConnectorSpec:
    """The demo's connector of ``kind`` alone, under a test's own id (so its event ids are the test's own)."""
    paths = DemoPaths(home)
    paths.home.mkdir(parents=True, exist_ok=True)
    for folder in (paths.drop, paths.ocds, paths.rest_source):
        folder.mkdir(exist_ok=True)
    write_connectors(paths, rest_url)
    document = yaml.safe_load(paths.connectors.read_text(encoding="utf-8"))
    [entry] = [entry for entry in document["connectors"] if entry["kind"] == kind.value]
    entry.update({"id": connector_id, "batch_size": 50, **overrides})
    paths.connectors.write_text(
        yaml.safe_dump({"connectors": [entry]}, allow_unicode=True), encoding="utf-8"
    )
    [spec] = load_connectors(paths.connectors, {REST_TOKEN_VARIABLE: TOKEN})
    return spec


def simulate_and_pull(
    home: Path, spec: ConnectorSpec, deps: PullDeps, rest_source: Path | None = None
) -> tuple[PulledSink, list[dict[str, Any]], Counter[str]]:
    """Run the district into the sink, pulling every PULL_EVERY emissions and once more at the end.

    Returns the sink, the events the simulator sent down the connector's path, and the pull results.
    """
    simulation = Simulation.prepare(SCENARIO)
    sink = PulledSink(
        FileSink(home / "district", events=False), pull_routes([spec], rest_source=rest_source)
    )
    types, sent, results, emitted = set(event_types(spec)), [], Counter[str](), Counter[str]()
    connector = build_connector(spec)

    def pull() -> None:
        connector.setup()
        try:
            results.update(drain(connector, deps).results)
        finally:
            connector.close()

    def progress(emission: Emission) -> None:
        if isinstance(emission, SimulatedEvent) and emission.event["type"] in types:
            sent.append(emission.event)
        emitted["all"] += 1
        if emitted["all"] % PULL_EVERY == 0:
            pull()

    run(
        simulation.emissions(),
        sink,
        ManifestCounter(SCENARIO, simulation.not_injected),
        progress=progress,
    )
    pull()
    return sink, sent, results


def assert_each_once_on_kafka(
    tail: TopicTail, sink: PulledSink, sent: list[dict[str, Any]], results: Counter[str]
) -> None:
    expected = {sink.pulled_id(event["id"]) for event in sent}
    assert None not in expected and len(expected) == len(sent), (
        "every event sent has an id of its own"
    )
    on_kafka = Counter(str(record["id"]) for record in tail.values() if record["id"] in expected)
    assert set(on_kafka) == expected, (
        f"missing on Kafka: {len(expected - set(on_kafka))} of {len(expected)}"
    )
    assert max(on_kafka.values()) == 1, "no event twice"
    assert results["accepted"] == len(sent) and results["rejected"] == 0, results


@pytest.fixture
def tail_of(
    kafka_settings: Settings, open_tail: Callable[[str], TopicTail]
) -> Callable[[str], TopicTail]:
    return lambda domain: open_tail(raw_topic(kafka_settings, domain))


def test_canteen_purchase_orders_through_the_staging_database(
    tmp_path: Path,
    staging_url: str,
    live: PullDeps,
    tail_of: Callable[[str], TopicTail],
    connector_id: str,
) -> None:
    spec = demo_connector(
        tmp_path, Kind.STAGING_DB, connector_id, "http://unused", url=staging_url, batch_size=5
    )
    tail = tail_of("canteen")
    sink, sent, results = simulate_and_pull(tmp_path, spec, live)
    assert len(sent) >= 15
    assert_each_once_on_kafka(tail, sink, sent, results)


def test_attendance_through_the_rest_source(
    tmp_path: Path, live: PullDeps, tail_of: Callable[[str], TopicTail], connector_id: str
) -> None:
    folder = tmp_path / "rest-source"
    with serving(create_source_app(RestSourceStore(folder=folder), token=TOKEN)) as base_url:
        spec = demo_connector(
            tmp_path, Kind.REST_API, connector_id, base_url, rate_limit_per_second=100
        )
        tail = tail_of("enrollment")
        sink, sent, results = simulate_and_pull(tmp_path, spec, live, rest_source=folder)
    assert len(sent) > 300
    assert_each_once_on_kafka(tail, sink, sent, results)


def test_procurement_through_ocds_releases(
    tmp_path: Path, live: PullDeps, tail_of: Callable[[str], TopicTail], connector_id: str
) -> None:
    spec = demo_connector(tmp_path, Kind.OCDS, connector_id, "http://unused")
    tail = tail_of("procurement")
    sink, sent, results = simulate_and_pull(tmp_path, spec, live)
    assert len({event["type"] for event in sent}) >= 7, (
        "plans, tenders, bids, awards, contracts, acceptances, payments"
    )
    assert_each_once_on_kafka(tail, sink, sent, results)
    assert results["duplicate"] > 0, (
        "a process re-published with a new record re-reads its old ones as duplicates"
    )
