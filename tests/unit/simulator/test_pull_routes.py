"""The simulator feeds every pull connector kind of the demo's connectors file: what each route writes, read
back by the real connector (on the fake ingest side), is exactly the events the simulator sent — with the ids
the sink reported, none missing, none twice — and every other event is pushed."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from qinglian.demo import REST_TOKEN_VARIABLE, DemoPaths, write_connectors
from qinglian.settings import Settings
from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.bootstrap import build_connector
from services.ingest.connectors.domain.ocds import EVENT_TYPES
from services.ingest.connectors.domain.spec import (
    ConnectorSpec,
    FolderSpec,
    Kind,
    StagingSpec,
    event_types,
)
from services.ingest.connectors.service_layer.pull import drain
from services.ingest.connectors.writers.rest_source import RestSourceStore
from services.ingest.domain.privacy import Pseudonymizer
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.base import run
from services.ingest.simulator.sinks.pulled import PulledSink, pull_routes
from tests.unit.connectors.support import Harness
from tests.unit.simulator.conftest import Output
from tests.unit.simulator.test_sinks import RecordingSink, counter

TOKEN = "demo-token"


@dataclass
class Fed:
    paths: DemoPaths
    specs: dict[Kind, ConnectorSpec]
    sink: PulledSink
    pushed: RecordingSink
    sent: list[dict[str, Any]]

    def read_back(self, kind: Kind) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(what the connector of ``kind`` published, what the simulator sent of its types)."""
        spec = self.specs[kind]
        connector = build_connector(spec, transport=rest_source(self.paths.rest_source))
        harness = Harness()
        connector.setup()
        drain(connector, harness.deps)
        connector.close()
        assert harness.deadletters() == []
        types = set(event_types(spec))
        published = [
            dict(message.value)
            for message in harness.publisher.messages
            if message.value.get("type") in types
        ]
        return published, [event for event in self.sent if event["type"] in types]


def rest_source(folder: Path) -> httpx.MockTransport:
    """The demo's REST source, answering from the folder through a store of its own (as the demo process does)."""
    store = RestSourceStore(folder=folder)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        status, body = store.answer(request.url.path, dict(request.url.params))
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def demo_specs(home: Path) -> tuple[DemoPaths, list[ConnectorSpec]]:
    paths = DemoPaths(home)
    paths.home.mkdir(parents=True, exist_ok=True)
    for folder in (paths.drop, paths.ocds, paths.rest_source):
        folder.mkdir()
    write_connectors(paths, "http://127.0.0.1:9")
    return paths, load_connectors(paths.connectors, {REST_TOKEN_VARIABLE: TOKEN})


def emissions(events: list[dict[str, Any]]) -> list[SimulatedEvent]:
    return sorted(
        (SimulatedEvent(datetime.fromisoformat(e["time"]), e) for e in events), key=lambda s: s.time
    )


@pytest.fixture(scope="module")
def fed(small_run: Output, tmp_path_factory: pytest.TempPathFactory) -> Fed:
    paths, specs = demo_specs(tmp_path_factory.mktemp("demo"))
    pushed = RecordingSink()
    sink = PulledSink(pushed, pull_routes(specs, rest_source=paths.rest_source))
    run(emissions(small_run.events), sink, counter())
    return Fed(paths, {spec.kind: spec for spec in specs}, sink, pushed, small_run.events)


def as_pushed(event: dict[str, Any]) -> dict[str, Any]:
    """The event as ingest stores it when pushed: pseudonymized, without its id."""
    stored = Pseudonymizer(Settings().pseudonym_key.get_secret_value().encode()).event(
        copy.deepcopy(event)
    )
    return {name: value for name, value in stored.items() if name != "id"}


def test_the_demo_runs_one_connector_of_each_kind(fed: Fed) -> None:
    assert set(fed.specs) == set(Kind)


def test_every_event_goes_down_exactly_one_path(fed: Fed) -> None:
    pulled_types = {event_type for spec in fed.specs.values() for event_type in event_types(spec)}
    pushed = [event["id"] for event in fed.sent if event["type"] not in pulled_types]
    assert sorted(fed.pushed.events) == sorted(pushed)
    assert all(
        fed.sink.pulled_id(event["id"]) is None
        for event in fed.sent
        if event["type"] not in pulled_types
    )


@pytest.mark.parametrize("kind", [Kind.STAGING_DB, Kind.REST_API, Kind.FILE_DROP])
def test_a_connector_reads_back_each_event_once_with_the_id_the_sink_reported(
    fed: Fed, kind: Kind
) -> None:
    published, sent = fed.read_back(kind)
    assert len(sent) > 10, "the small district has events of this kind"
    expected = {fed.sink.pulled_id(event["id"]): as_pushed(event) for event in sent}
    assert len(expected) == len(sent), "each event sent has an id of its own"
    ids = Counter(str(event["id"]) for event in published)
    assert set(ids) == set(expected) and max(ids.values()) == 1
    for event in published:
        assert {name: value for name, value in event.items() if name != "id"} == expected[
            event["id"]
        ]


def test_the_ocds_connector_reads_back_every_procurement_record_once(fed: Fed) -> None:
    published, sent = fed.read_back(Kind.OCDS)
    assert {event["type"] for event in sent} == set(EVENT_TYPES), (
        "the small district's procurement has every kind"
    )
    expected = {fed.sink.pulled_id(event["id"]): as_pushed(event) for event in sent}
    assert len(expected) == len(sent), "each event sent has an id of its own"
    ids = Counter(str(event["id"]) for event in published)
    assert set(ids) == set(expected) and max(ids.values()) == 1
    fields: Callable[[dict[str, Any]], tuple[object, ...]] = lambda event: tuple(
        event.get(name) for name in ("type", "source", "schoolid", "districtid", "data")
    )
    for event in published:
        assert fields(event) == fields(expected[event["id"]])


def test_two_connectors_reading_one_type_are_refused(tmp_path: Path) -> None:
    paths, specs = demo_specs(tmp_path)
    [drop] = [spec for spec in specs if isinstance(spec, FolderSpec)]
    twice = [*specs, replace(drop, common=replace(drop.common, connector_id="second-drop"))]
    with pytest.raises(SinkError, match="meal_fee_payment.v1 is read by two connectors"):
        pull_routes(twice, rest_source=paths.rest_source)


def test_a_rest_connector_needs_the_folder_its_records_are_kept_in(tmp_path: Path) -> None:
    _, specs = demo_specs(tmp_path)
    with pytest.raises(SinkError, match="--rest-source"):
        pull_routes(specs)


def test_a_staging_table_keyed_by_the_database_row_number_is_refused(tmp_path: Path) -> None:
    paths, specs = demo_specs(tmp_path)
    [staging] = [spec for spec in specs if isinstance(spec, StagingSpec)]
    [table] = staging.tables
    keyed_by_row = replace(
        staging, tables=(replace(table, mapping=replace(table.mapping, key=("id",))),)
    )
    with pytest.raises(SinkError, match="without 'key'"):
        pull_routes([keyed_by_row], rest_source=paths.rest_source)
    engine = sa.create_engine(staging.url)
    assert not sa.inspect(engine).get_table_names(), (
        "nothing was written for a connector that cannot be fed"
    )
    engine.dispose()


def test_staging_rows_of_an_hour_are_committed_together_when_the_hour_is_over(
    tmp_path: Path, small_run: Output
) -> None:
    _, specs = demo_specs(tmp_path)
    [staging] = [spec for spec in specs if isinstance(spec, StagingSpec)]
    orders = emissions(
        [
            event
            for event in small_run.events
            if event["type"] == staging.tables[0].mapping.event_type
        ]
    )
    first = orders[0]
    sink = PulledSink(RecordingSink(), pull_routes([staging]))
    sink.event(first)
    assert staged_rows(staging) == 0, "the hour is not over"
    next_hour = first.time.replace(minute=0, second=0) + timedelta(hours=1)
    sink.event(next(order for order in orders if order.time >= next_hour))
    assert staged_rows(staging) == 1


def staged_rows(spec: StagingSpec) -> int:
    engine = sa.create_engine(spec.url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(sa.table(spec.tables[0].table))
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_a_record_changed_twice_in_a_day_is_published_in_each_state(
    tmp_path: Path, small_run: Output
) -> None:
    _, specs = demo_specs(tmp_path)
    [ocds] = [spec for spec in specs if spec.kind is Kind.OCDS]
    tenders = Counter(event["data"]["ocid"] for event in small_run.of_type("procurement.tender"))
    ocid = next(ocid for ocid, versions in tenders.items() if versions > 1)
    process = [
        event
        for event in small_run.of_type("procurement.plan") + small_run.of_type("procurement.tender")
        if event["data"]["ocid"] == ocid
    ]
    one_morning = datetime.fromisoformat(process[0]["time"]).replace(hour=8)
    sink = PulledSink(RecordingSink(), pull_routes([ocds]))
    run(
        [
            SimulatedEvent(one_morning + timedelta(minutes=n), event)
            for n, event in enumerate(process)
        ],
        sink,
        counter(),
    )

    harness = Harness()
    connector = build_connector(ocds)
    connector.setup()
    drain(connector, harness.deps)
    read = Counter(
        str(message.value["id"]) for message in harness.publisher.on("qinglian.raw.procurement")
    )
    assert (
        set(read) == {sink.pulled_id(event["id"]) for event in process} and max(read.values()) == 1
    )
    assert len(read) == len(process) == 3, "the plan and both states of the tender"
