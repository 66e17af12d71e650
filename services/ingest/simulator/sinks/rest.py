"""A REST connector's source: the school system's API records, kept in a folder the local REST source serves.

Records are written with the connectors' own store (``RestSourceStore`` on a
folder: one JSON-lines file per resource path), which ``qinglian demo`` serves
over HTTP with ``create_source_app``. Each record's version is its event's local
time; pending records are appended when the simulated hour changes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from services.ingest.connectors.domain.spec import ResourceSpec, RestSpec
from services.ingest.connectors.writers.rest_source import RestSourceStore
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.routes import check_key, hour_of

DEFAULT_VERSION_FIELD = "updated_at"


def rest_routes(spec: RestSpec, folder: Path | None) -> list[RestRoute]:
    """One route per resource, its records in ``folder``; raises SinkError when one cannot be fed."""
    connector_id = spec.common.connector_id
    if folder is None:
        raise SinkError(
            f"缺少 REST 源目录 / connector '{connector_id}' reads a REST API: give --rest-source DIR, the folder "
            "its records are kept in (the demo serves it at the connector's base_url)"
        )
    routes = []
    for resource in spec.resources:
        check_key(connector_id, f"resource {resource.name}", resource.mapping)
        try:
            store = RestSourceStore(
                resource.mapping.version or DEFAULT_VERSION_FIELD, folder=folder
            )
        except OSError as exc:
            raise SinkError(
                f"无法写入 REST 源目录 / cannot write to {folder}: {exc.strerror}"
            ) from exc
        routes.append(RestRoute(connector_id, spec.common.zone, resource, store))
    return routes


class RestRoute:
    def __init__(
        self, connector_id: str, zone: ZoneInfo, resource: ResourceSpec, store: RestSourceStore
    ) -> None:
        self.connector_id = connector_id
        self.event_types = (resource.mapping.event_type,)
        self.resource = resource
        self._zone = zone
        self._store = store
        self._hour: datetime | None = None
        self._records: list[dict[str, Any]] = []

    def take(self, simulated: SimulatedEvent) -> str:
        version = simulated.time.astimezone(self._zone).replace(tzinfo=None).isoformat()
        record = self._store.record(self.resource, simulated.event, version=version)
        self._records.append(record)
        return self.resource.record_id(self.connector_id, record)

    def advance(self, now: datetime) -> None:
        hour = hour_of(now)
        if self._hour is not None and hour > self._hour:
            self._publish()
        self._hour = hour

    def close(self) -> None:
        self._publish()

    def _publish(self) -> None:
        try:
            self._store.add(self.resource.path, self._records)
        except OSError as exc:
            raise SinkError(
                f"无法写入 REST 源目录 / cannot write to {self._store.folder}: {exc.strerror}"
            ) from exc
        self._records = []
