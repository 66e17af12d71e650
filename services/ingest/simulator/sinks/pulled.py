"""Feeding the pull connectors: each event goes down exactly one ingest path, as in a real district.

The connectors file decides: an event whose type one of its connectors reads
goes to that connector's source (a drop folder, a staging database, a REST
source, an OCDS folder), played by a route (``sinks.drop``, ``sinks.staging``,
``sinks.rest``, ``sinks.ocds``) with the connectors' own writers; every other
event, and all ground truth, goes to the wrapped sink (push API, files).

The connector gives the events it reads its own ids (derived from the record).
The ground truth is rewritten to those ids, so its evidence names the events as
they are on Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from services.ingest.connectors.domain.spec import ConnectorSpec, FolderSpec, RestSpec, StagingSpec
from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import Manifest
from services.ingest.simulator.sinks.base import Sink
from services.ingest.simulator.sinks.drop import drop_routes
from services.ingest.simulator.sinks.ocds import ocds_route
from services.ingest.simulator.sinks.rest import rest_routes
from services.ingest.simulator.sinks.routes import PullRoute
from services.ingest.simulator.sinks.staging import staging_routes


def pull_routes(
    specs: Iterable[ConnectorSpec], *, rest_source: Path | None = None
) -> list[PullRoute]:
    """The routes of a connectors file; SinkError when a connector cannot be fed or two read the same type.

    ``rest_source`` is the folder that keeps the records of its REST connectors.
    """
    routes: list[PullRoute] = []
    readers: dict[str, PullRoute] = {}
    for spec in specs:
        for route in _routes(spec, rest_source):
            for event_type in route.event_types:
                if event_type in readers:
                    raise SinkError(
                        f"连接器重复读取 / {event_type} is read by two connectors' sources "
                        f"('{readers[event_type].connector_id}' and '{route.connector_id}'); keep one so "
                        "the simulator knows where each event goes"
                    )
                readers[event_type] = route
            routes.append(route)
    return routes


def _routes(spec: ConnectorSpec, rest_source: Path | None) -> Sequence[PullRoute]:
    if isinstance(spec, FolderSpec):
        return drop_routes(spec)
    if isinstance(spec, StagingSpec):
        return staging_routes(spec)
    if isinstance(spec, RestSpec):
        return rest_routes(spec, rest_source)
    return [ocds_route(spec)]


class PulledSink:
    def __init__(self, rest: Sink, routes: Sequence[PullRoute]) -> None:
        """Events of the ``routes``' types go to their sources; the others and all ground truth to ``rest``."""
        self._rest = rest
        self._routes = routes
        self._route_of = {event_type: route for route in routes for event_type in route.event_types}
        self._pulled_ids: dict[
            str, str
        ] = {}  # simulator id → the connector's id for the same record

    def event(self, simulated: SimulatedEvent) -> None:
        for route in self._routes:
            route.advance(simulated.time)
        route = self._route_of.get(simulated.event["type"])
        if route is None:
            self._rest.event(simulated)
            return
        self._pulled_ids[simulated.event["id"]] = route.take(simulated)

    def anomaly(self, truth: GroundTruth) -> None:
        evidence = tuple(
            self._pulled_ids.get(event_id, event_id) for event_id in truth.evidence_event_ids
        )
        self._rest.anomaly(replace(truth, evidence_event_ids=evidence))

    def close(self, manifest: Manifest) -> None:
        for route in self._routes:
            route.close()
        self._rest.close(manifest)

    def pulled_id(self, event_id: str) -> str | None:
        """The id the connector gives the event the simulator sent as ``event_id`` (None: it was not pulled)."""
        return self._pulled_ids.get(event_id)
