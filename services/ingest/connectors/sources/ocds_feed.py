"""OCDS JSON-lines files in a drop folder: one compiled release per line (see ``domain.ocds``).

A line that is not JSON, not an object, or has no ocid is still handed to the
ingest use case, which dead-letters it with the line as its payload; the file's
report says what was wrong with it, by line number.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from services.ingest.connectors.domain.ocds import (
    OcdsContext,
    ReleaseProblem,
    parse_line,
    release_events,
)
from services.ingest.connectors.domain.spec import OcdsSpec, event_types
from services.ingest.connectors.sources.folder import (
    FolderConnector,
    ParsedFile,
    Record,
    UnreadableFile,
)


def ocds_connector(spec: OcdsSpec, **callbacks: Any) -> FolderConnector:
    file_format = OcdsFormat(ocds_context(spec), spec.patterns)
    return FolderConnector(spec.common, event_types(spec), spec.folder, file_format, **callbacks)


def ocds_context(spec: OcdsSpec) -> OcdsContext:
    """What the connector reads releases with: its id, event source, zone and school table."""
    return OcdsContext(
        connector_id=spec.common.connector_id,
        event_source=spec.common.event_source,
        zone=spec.common.zone,
        buyer_schools=spec.buyer_schools,
        district_id=spec.district_id,
    )


class OcdsFormat:
    def __init__(self, context: OcdsContext, patterns: tuple[str, ...]) -> None:
        self.context = context
        self.patterns = patterns

    def accepts(self, name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.patterns)

    def parse(self, name: str, content: bytes, content_hash: str) -> ParsedFile:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableFile("OCDS 文件须为 UTF-8 / OCDS JSON lines must be UTF-8") from exc
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                release = parse_line(line)
            except ReleaseProblem as problem:
                # The line as text: it can only be rejected (not an object), even if it parses as an event.
                records.append(Record(number, [line], problem=str(problem)))
                continue
            records.append(Record(number, list(release_events(release, self.context))))
        return ParsedFile(records, lambda path: None)
