"""An OCDS connector's source: a procurement publisher's JSON-lines files, one compiled release a line.

Events are gathered per contracting process (ocid). After each day, the
processes that changed are published with the connectors' own writer
(``compiled_release`` and ``OcdsWriter``): their compiled release, every event
so far included, as one line of the day's file. Re-read records keep their ids
(the connector answers them "duplicate"); a record that changes again before it
was published makes the day's file be written first, so each state the
simulator sent is read once.

The ids come from the connector's own reader (``release_events``) over the
release as written, matched to the sent events by type and record id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from services.ingest.connectors.domain.ocds import (
    EVENT_TYPES,
    PROCUREMENT,
    OcdsContext,
    release_events,
)
from services.ingest.connectors.domain.spec import OcdsSpec
from services.ingest.connectors.sources.ocds_feed import ocds_context
from services.ingest.connectors.writers.ocds import OcdsWriter, compiled_release
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.routes import check_file_pattern, file_name

Record = tuple[str, str]  # (event type, record id)


def ocds_route(spec: OcdsSpec) -> OcdsRoute:
    pattern = spec.patterns[0]
    check_file_pattern(spec.common.connector_id, pattern, "20250901_0001")
    return OcdsRoute(ocds_context(spec), pattern, OcdsWriter(spec.folder))


class OcdsRoute:
    def __init__(self, context: OcdsContext, pattern: str, writer: OcdsWriter) -> None:
        self.connector_id = context.connector_id
        self.event_types = EVENT_TYPES
        self._context = context
        self._pattern = pattern
        self._writer = writer
        self._processes: dict[str, list[dict[str, Any]]] = {}  # ocid → its events so far
        self._unpublished: dict[
            str, dict[Record, str]
        ] = {}  # ocid → changed records → the connector's ids
        self._today: date | None = None
        self._files = 0

    def take(self, simulated: SimulatedEvent) -> str:
        event = simulated.event
        ocid, record = event["data"]["ocid"], _record(event)
        if record in self._unpublished.get(ocid, {}):
            self._publish()  # the record changes again: its present state is published first
        events = self._processes.setdefault(ocid, [])
        events.append(event)
        read = _read_back(compiled_release(events), self._context)
        if record not in read:
            raise SinkError(
                f"OCDS 发布缺少事件 / the compiled release of {ocid} does not give back {record}"
            )
        self._unpublished.setdefault(ocid, {})[record] = read[record]
        return read[record]

    def advance(self, now: datetime) -> None:
        today = now.astimezone(self._context.zone).date()
        if self._today is not None and today > self._today:
            self._publish()
        self._today = today

    def close(self) -> None:
        self._publish()

    def _publish(self) -> None:
        if not self._unpublished:
            return
        releases = []
        for ocid, expected in self._unpublished.items():
            release = compiled_release(self._processes[ocid])
            if not set(expected.values()) <= set(_read_back(release, self._context).values()):
                raise SinkError(
                    f"OCDS 发布与已发事件不符 / the release of {ocid} no longer gives the ids sent for it"
                )
            releases.append(release)
        self._files += 1
        name = file_name(self._pattern, f"{self._today:%Y%m%d}_{self._files:04d}")
        try:
            self._writer.write(name, releases)
        except OSError as exc:
            raise SinkError(
                f"无法写入 OCDS 目录 / cannot write to {self._writer.folder}: {exc.strerror}"
            ) from exc
        self._unpublished = {}


def _record(event: Mapping[str, Any]) -> Record:
    kind = str(event["type"]).removeprefix(PROCUREMENT).split(".")[0]
    return str(event["type"]), str(event["data"][f"{kind}_id"])


def _read_back(release: Mapping[str, Any], context: OcdsContext) -> dict[Record, str]:
    """What the connector reads from the release as written (JSON): its events' ids by record."""
    written = json.loads(json.dumps(release, ensure_ascii=False))
    return {_record(event): event["id"] for event in release_events(written, context)}
