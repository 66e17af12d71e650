"""Feeding the file-drop connectors: events of the types they read become a school clerk's daily exports.

``FileDropSink`` wraps the sink that takes everything else (push API, files).
An event whose type a file-drop connector reads is held until its school day is
over, then written with the connectors' own writer (``export_rows`` and
``DropFolderWriter``) as one file per school and day in that connector's folder,
so the files have exactly the columns, codes and encoding the connector parses.

The connector gives the events it reads its own ids: UUIDv5 over (connector,
event type, record key). The ground truth is rewritten to those ids, so its
evidence names the events as they are on Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

from services.ingest.connectors.domain.mapping import event_id
from services.ingest.connectors.domain.spec import ConnectorSpec, FileSpec, FolderSpec
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import Manifest
from services.ingest.simulator.sinks.base import Sink

GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class DropRoute:
    """Where events of one type go: a file pattern of one file-drop connector."""

    connector_id: str
    zone: ZoneInfo
    file: FileSpec
    writer: DropFolderWriter

    def file_name(self, school_id: str, day: date) -> str:
        return self.file.pattern.replace("*", f"{school_id}_{day:%Y%m%d}", 1)

    def pulled_id(self, row: Mapping[str, Any]) -> str:
        """The id the connector gives the event it reads from ``row`` (see sources.tabular)."""
        mapping = self.file.mapping
        return event_id(self.connector_id, mapping.event_type, *mapping.record_key(row))


def drop_routes(specs: Iterable[ConnectorSpec]) -> dict[str, DropRoute]:
    """The file-drop routes of a connectors file by event type; raises SinkError when one cannot be fed."""
    routes: dict[str, DropRoute] = {}
    for spec in specs:
        if not isinstance(spec, FolderSpec):
            continue
        connector_id = spec.common.connector_id
        for file in spec.files:
            route = DropRoute(connector_id, spec.common.zone, file, DropFolderWriter(spec.folder))
            _check(route)
            event_type = file.mapping.event_type
            if event_type in routes:
                raise SinkError(
                    f"投递连接器重复 / {event_type} is read by two file-drop patterns "
                    f"({routes[event_type].connector_id}: {routes[event_type].file.pattern}, "
                    f"{connector_id}: {file.pattern}); keep one so the simulator knows where to write"
                )
            routes[event_type] = route
    return routes


def _check(route: DropRoute) -> None:
    pattern, connector_id = route.file.pattern, route.connector_id
    if not route.file.mapping.key:
        raise SinkError(
            f"投递文件缺少主键 / connector '{connector_id}', pattern {pattern}: without 'key' the connector's "
            "event ids depend on the file's content; name the key column(s) so ids are stable"
        )
    sample = route.file_name("500102001", date(2025, 9, 1))
    if GLOB_CHARACTERS & set(sample) or not fnmatchcase(sample, pattern):
        raise SinkError(
            f"无法生成文件名 / connector '{connector_id}': the simulator names files by putting "
            f"school_day in the one '*' of the pattern, which {pattern!r} does not allow"
        )


class FileDropSink:
    def __init__(self, rest: Sink, routes: Mapping[str, DropRoute]) -> None:
        """Events of the ``routes``' types go to drop folders, the others and all ground truth to ``rest``."""
        self._rest = rest
        self._routes = routes
        self._today: date | None = None
        self._pending: dict[
            tuple[str, str, date], list[dict[str, Any]]
        ] = {}  # (type, school, day) → rows
        self._pulled_ids: dict[
            str, str
        ] = {}  # simulator id → the connector's id for the same record

    def event(self, simulated: SimulatedEvent) -> None:
        today = simulated.time.date()
        if self._today is None or today > self._today:
            self._export(before=today)
            self._today = today
        event = simulated.event
        route = self._routes.get(event["type"])
        if route is None:
            self._rest.event(simulated)
            return
        [row] = export_rows(route.file, [event])
        self._pulled_ids[event["id"]] = route.pulled_id(row)
        day = simulated.time.astimezone(route.zone).date()
        self._pending.setdefault((event["type"], event["schoolid"], day), []).append(row)

    def anomaly(self, truth: GroundTruth) -> None:
        evidence = tuple(
            self._pulled_ids.get(event_id, event_id) for event_id in truth.evidence_event_ids
        )
        self._rest.anomaly(replace(truth, evidence_event_ids=evidence))

    def close(self, manifest: Manifest) -> None:
        self._export(before=None)
        self._rest.close(manifest)

    def _export(self, *, before: date | None) -> None:
        """Write every pending day before ``before`` (all of them when None): the clerk exports after school."""
        done = [key for key in self._pending if before is None or key[2] < before]
        for key in done:
            event_type, school_id, day = key
            route = self._routes[event_type]
            try:
                route.writer.write(
                    route.file_name(school_id, day), route.file, self._pending.pop(key)
                )
            except OSError as exc:
                raise SinkError(
                    f"无法写入投递目录 / cannot write to the drop folder {route.writer.folder}: {exc.strerror}"
                ) from exc
