"""A file-drop connector's source: the school clerk's daily exports, one file per school and day.

An event whose type a file pattern reads is held until its school day is over,
then written with the connectors' own writer (``export_rows`` and
``DropFolderWriter``) as one file per school and day in that connector's folder,
so the files have exactly the columns, codes and encoding the connector parses.
The file is named by putting ``<school>_<yyyymmdd>`` in the pattern's '*'.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.ingest.connectors.domain.spec import FileSpec, FolderSpec
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.routes import check_file_pattern, check_key, file_name


def drop_routes(spec: FolderSpec) -> list[DropRoute]:
    """One route per file pattern of the connector; raises SinkError when one cannot be fed."""
    writer = DropFolderWriter(spec.folder)
    routes = [
        DropRoute(spec.common.connector_id, spec.common.zone, file, writer) for file in spec.files
    ]
    for route in routes:
        check_key(route.connector_id, f"pattern {route.file.pattern}", route.file.mapping)
        check_file_pattern(route.connector_id, route.file.pattern, "500102001_20250901")
    return routes


class DropRoute:
    def __init__(
        self, connector_id: str, zone: ZoneInfo, file: FileSpec, writer: DropFolderWriter
    ) -> None:
        self.connector_id = connector_id
        self.event_types = (file.mapping.event_type,)
        self.file = file
        self._zone = zone
        self._writer = writer
        self._today: date | None = None
        self._pending: dict[tuple[str, date], list[dict[str, Any]]] = {}  # (school, day) → rows

    def take(self, simulated: SimulatedEvent) -> str:
        [row] = export_rows(self.file, [simulated.event])
        day = simulated.time.astimezone(self._zone).date()
        self._pending.setdefault((simulated.event["schoolid"], day), []).append(row)
        return self.file.record_id(self.connector_id, row)

    def advance(self, now: datetime) -> None:
        today = now.astimezone(self._zone).date()
        if self._today is None or today > self._today:
            self._export(before=today)  # the clerk exports after school
            self._today = today

    def close(self) -> None:
        self._export(before=None)

    def _export(self, *, before: date | None) -> None:
        """Write every pending day before ``before`` (all of them when None)."""
        for key in [key for key in self._pending if before is None or key[1] < before]:
            school_id, day = key
            try:
                self._writer.write(
                    file_name(self.file.pattern, f"{school_id}_{day:%Y%m%d}"),
                    self.file,
                    self._pending.pop(key),
                )
            except OSError as exc:
                raise SinkError(
                    f"无法写入投递目录 / cannot write to the drop folder {self._writer.folder}: {exc.strerror}"
                ) from exc
