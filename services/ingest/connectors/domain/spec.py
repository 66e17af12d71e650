"""What the connectors file configures, as plain frozen data (parsed by adapters.connectors_file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from services.ingest.connectors.domain.mapping import RecordMapping, event_id
from services.ingest.connectors.domain.ocds import EVENT_TYPES
from services.ingest.connectors.domain.paging import Paging
from services.ingest.domain.sources import SourceSystem


class Kind(StrEnum):
    STAGING_DB = "staging_db"
    REST_API = "rest_api"
    FILE_DROP = "file_drop"
    OCDS = "ocds"


@dataclass(frozen=True, slots=True)
class Common:
    connector_id: str
    name: str
    event_source: str  # CloudEvents `source`; may contain {school_id}
    school_ids: tuple[str, ...]  # shell patterns of the schools this source may publish for
    poll_interval_seconds: float
    batch_size: int
    zone: ZoneInfo

    def source_system(self, event_types: tuple[str, ...]) -> SourceSystem:
        """The identity the ingest use case checks permissions and dedups against."""
        return SourceSystem(
            source_id=self.connector_id,
            keys=(),
            event_types=event_types,
            school_ids=self.school_ids,
            name=self.name,
            may_push=False,
        )


@dataclass(frozen=True, slots=True)
class TableSpec:
    table: str
    primary_key: str
    updated_at: str
    mapping: RecordMapping
    schema: str | None = None

    @property
    def stream(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def record_id(self, connector_id: str, row: Mapping[str, object]) -> str:
        """The id of the event read from ``row``: the same row (key and version) always gives the same id."""
        return event_id(connector_id, self.stream, *self.mapping.record_key(row))


@dataclass(frozen=True, slots=True)
class StagingSpec:
    common: Common
    url: str = field(repr=False)  # may carry a password: read from the environment, never shown
    tables: tuple[TableSpec, ...]
    kind: Kind = Kind.STAGING_DB


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    name: str
    path: str
    paging: Paging
    mapping: RecordMapping
    items_field: str = "items"
    page_size: int = 100
    params: Mapping[str, str] = field(default_factory=dict)

    def record_id(self, connector_id: str, item: Mapping[str, object]) -> str:
        """The id of the event read from ``item``: the same item (key and version) always gives the same id."""
        return event_id(connector_id, self.name, *self.mapping.record_key(item))


@dataclass(frozen=True, slots=True)
class RestSpec:
    common: Common
    base_url: str
    token: str | None = field(repr=False)  # bearer token, from the environment
    resources: tuple[ResourceSpec, ...]
    rate_limit_per_second: float = 5.0
    timeout_seconds: float = 10.0
    retry: RetryPolicy = RetryPolicy()
    kind: Kind = Kind.REST_API


@dataclass(frozen=True, slots=True)
class FileSpec:
    pattern: str  # shell pattern of the file name, e.g. "purchase_orders_*.csv"
    mapping: RecordMapping
    encoding: str = "utf-8-sig"  # CSV only; many school exports are gb18030
    delimiter: str = ","
    sheet: str | None = None  # XLSX only; default: the first sheet

    def record_id(self, connector_id: str, row: Mapping[str, object]) -> str:
        """The id of the event read from ``row`` when the mapping names a key (else see sources.tabular)."""
        return event_id(connector_id, self.mapping.event_type, *self.mapping.record_key(row))


@dataclass(frozen=True, slots=True)
class FolderSpec:
    common: Common
    folder: Path
    files: tuple[FileSpec, ...]
    kind: Kind = Kind.FILE_DROP


@dataclass(frozen=True, slots=True)
class OcdsSpec:
    common: Common
    folder: Path
    patterns: tuple[str, ...] = ("*.jsonl", "*.ndjson")
    buyer_schools: Mapping[str, str] = field(default_factory=dict)  # buyer org id → school id
    district_id: str | None = None
    kind: Kind = Kind.OCDS


ConnectorSpec = StagingSpec | RestSpec | FolderSpec | OcdsSpec


def event_types(spec: ConnectorSpec) -> tuple[str, ...]:
    """Every event type the connector publishes (what its SourceSystem may publish)."""
    if isinstance(spec, StagingSpec):
        mappings = [table.mapping for table in spec.tables]
    elif isinstance(spec, RestSpec):
        mappings = [resource.mapping for resource in spec.resources]
    elif isinstance(spec, FolderSpec):
        mappings = [file.mapping for file in spec.files]
    else:
        return EVENT_TYPES
    return tuple(dict.fromkeys(mapping.event_type for mapping in mappings))
