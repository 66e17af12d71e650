"""The connectors file (YAML): which sources to pull, how, and how their records map to contracts.

See ``example-connectors.yaml`` beside this package for every kind. Credentials are
never written in the file: a database URL comes from ``url_env`` and a bearer
token from ``token_env`` (environment variables, which must not start with
``QINGLIAN_``, a prefix reserved for settings). A ``url`` with a password in it is
refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import yaml
from sqlalchemy.exc import ArgumentError

from contracts import registry
from contracts.errors import UnknownEventType
from qinglian.settings import ENV_PREFIX
from services.ingest.connectors.domain.convert import converter
from services.ingest.connectors.domain.mapping import FieldRule, RecordMapping, parse_path
from services.ingest.connectors.domain.paging import CursorPaging, PagePaging, Paging
from services.ingest.connectors.domain.spec import (
    Common,
    ConnectorSpec,
    FileSpec,
    FolderSpec,
    Kind,
    OcdsSpec,
    ResourceSpec,
    RestSpec,
    RetryPolicy,
    StagingSpec,
    TableSpec,
)
from services.ingest.connectors.errors import ConnectorsFileError

DEFAULT_TIMEZONE = "Asia/Shanghai"
CONNECTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
EVENT_SOURCE = re.compile(r"(/[A-Za-z0-9._~-]+)+")  # the envelope's CloudEvents `source` pattern


class _Invalid(ValueError):
    """A problem in one entry; the message starts with where it is."""


def load_connectors(path: Path, environ: Mapping[str, str] | None = None) -> list[ConnectorSpec]:
    environ = os.environ if environ is None else environ
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConnectorsFileError(
            f"连接器文件无法读取 / cannot read the connectors file {path}: {exc.strerror}"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConnectorsFileError(f"连接器文件格式错误 / {path} is not valid YAML: {exc}") from exc
    entries = document.get("connectors") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConnectorsFileError(
            f"连接器文件无效 / {path}: expected a non-empty 'connectors' list"
        )
    base = path.parent
    try:
        specs = [
            _connector(_Entry(entry, f"connectors[{n}]"), environ, base)
            for n, entry in enumerate(entries)
        ]
    except _Invalid as exc:
        raise ConnectorsFileError(f"连接器文件无效 / {path}: {exc}") from exc
    ids = [spec.common.connector_id for spec in specs]
    duplicated = sorted({connector_id for connector_id in ids if ids.count(connector_id) > 1})
    if duplicated:
        raise ConnectorsFileError(
            f"连接器文件无效 / {path}: connector id '{duplicated[0]}' is used twice"
        )
    return specs


class _Entry:
    """One mapping of the file, with typed getters whose errors say where the problem is."""

    def __init__(self, raw: object, label: str) -> None:
        if not isinstance(raw, dict):
            raise _Invalid(f"{label} must be a mapping")
        self.raw: dict[str, Any] = raw
        self.label = label

    def fail(self, name: str, problem: str) -> _Invalid:
        return _Invalid(f"{self.label}.{name}: {problem}")

    def text(self, name: str, default: str | None = None) -> str:
        value = self.raw.get(name, default)
        if not isinstance(value, str) or not value:
            raise self.fail(name, "a non-empty string is required")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.raw.get(name) is not None else None

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise self.fail(name, f"a number above {minimum:g} is required")
        return float(value)

    def texts(self, name: str, default: list[str] | None = None) -> tuple[str, ...]:
        value = self.raw.get(name, default)
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str | int) for v in value)
        ):
            raise self.fail(name, "a non-empty list of strings is required")
        return tuple(str(v) for v in value)

    def entries(self, name: str) -> list[_Entry]:
        value = self.raw.get(name)
        if not isinstance(value, list) or not value:
            raise self.fail(name, "a non-empty list is required")
        return [_Entry(entry, f"{self.label}.{name}[{n}]") for n, entry in enumerate(value)]

    def table(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "a mapping is required")
        return value

    def secret(self, name: str, environ: Mapping[str, str]) -> str | None:
        variable = self.raw.get(f"{name}_env")
        if variable is None:
            return None
        if not isinstance(variable, str) or variable.startswith(ENV_PREFIX):
            raise self.fail(
                f"{name}_env", f"name an environment variable not starting with {ENV_PREFIX}"
            )
        if variable not in environ:
            raise self.fail(f"{name}_env", f"environment variable {variable} is not set")
        return environ[variable]


def _connector(entry: _Entry, environ: Mapping[str, str], base: Path) -> ConnectorSpec:
    connector_id = entry.text("id")
    if not CONNECTOR_ID.fullmatch(connector_id):
        raise entry.fail(
            "id", "use letters, digits, '.', '_' and '-' (at most 128), e.g. fuling-canteen-staging"
        )
    entry.label = f"connector '{connector_id}'"
    try:
        kind = Kind(entry.text("kind"))
    except ValueError:
        raise entry.fail(
            "kind", f"choose one of {', '.join(kind.value for kind in Kind)}"
        ) from None
    common = _common(entry, connector_id, kind)
    if kind is Kind.STAGING_DB:
        return StagingSpec(
            common,
            _database_url(entry, environ),
            tuple(_table(t, common) for t in entry.entries("tables")),
        )
    if kind is Kind.REST_API:
        return _rest(entry, common, environ)
    if kind is Kind.FILE_DROP:
        return FolderSpec(
            common, _folder(entry, base), tuple(_file(f, common) for f in entry.entries("files"))
        )
    return OcdsSpec(
        common,
        _folder(entry, base),
        patterns=entry.texts("patterns", ["*.jsonl", "*.ndjson"]),
        buyer_schools={str(k): str(v) for k, v in entry.table("buyer_schools").items()},
        district_id=entry.optional_text("district_id"),
    )


def _common(entry: _Entry, connector_id: str, kind: Kind) -> Common:
    zone_name = entry.text("timezone", DEFAULT_TIMEZONE)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise entry.fail("timezone", f"unknown time zone {zone_name!r}") from None
    event_source = entry.text("event_source", f"/connectors/{connector_id}")
    if not EVENT_SOURCE.fullmatch(event_source.replace("{school_id}", "500102001")):
        raise entry.fail(
            "event_source", "a path like /schools/{school_id}/canteen (letters, digits, . _ ~ -)"
        )
    return Common(
        connector_id=connector_id,
        name=str(entry.raw.get("name", connector_id)),
        event_source=event_source,
        school_ids=entry.texts("school_ids", ["*"]),
        poll_interval_seconds=entry.number("poll_interval_seconds", 60.0),
        batch_size=int(entry.number("batch_size", 500, minimum=0.5)),
        zone=zone,
    )


def _database_url(entry: _Entry, environ: Mapping[str, str]) -> str:
    from_environment = entry.secret("url", environ)
    if from_environment is not None:
        return from_environment
    url = entry.text("url")
    try:
        password = sa.engine.make_url(url).password
    except ArgumentError:
        raise entry.fail("url", "not a SQLAlchemy database URL") from None
    if password:
        raise entry.fail(
            "url", "holds a password: put the URL in an environment variable and name it in url_env"
        )
    return url


def _folder(entry: _Entry, base: Path) -> Path:
    folder = Path(entry.text("folder"))
    return folder if folder.is_absolute() else base / folder


def _table(entry: _Entry, common: Common) -> TableSpec:
    primary_key = entry.text("primary_key", "id")
    updated_at = entry.text("updated_at", "updated_at")
    mapping = _mapping(entry, common, default_key=(primary_key,), default_version=updated_at)
    return TableSpec(
        entry.text("table"), primary_key, updated_at, mapping, schema=entry.optional_text("schema")
    )


def _rest(entry: _Entry, common: Common, environ: Mapping[str, str]) -> RestSpec:
    retry = _Entry(entry.table("retry"), f"{entry.label}.retry")
    return RestSpec(
        common,
        base_url=entry.text("base_url"),
        token=entry.secret("token", environ),
        resources=tuple(_resource(r, common) for r in entry.entries("resources")),
        rate_limit_per_second=entry.number("rate_limit_per_second", 5.0),
        timeout_seconds=entry.number("timeout_seconds", 10.0),
        retry=RetryPolicy(
            attempts=int(retry.number("attempts", 5, minimum=0.5)),
            initial_backoff_seconds=retry.number("initial_backoff_seconds", 0.5, minimum=-1),
            max_backoff_seconds=retry.number("max_backoff_seconds", 30.0),
        ),
    )


def _resource(entry: _Entry, common: Common) -> ResourceSpec:
    path = entry.text("path")
    return ResourceSpec(
        name=entry.text("name", path.strip("/").replace("/", ".") or "root"),
        path=path,
        paging=_paging(_Entry(entry.table("pagination"), f"{entry.label}.pagination")),
        mapping=_mapping(entry, common, default_key=("id",), default_version=None),
        items_field=entry.text("items_field", "items"),
        page_size=int(entry.number("page_size", 100, minimum=0.5)),
        params={str(k): str(v) for k, v in entry.table("params").items()},
    )


def _paging(entry: _Entry) -> Paging:
    style = entry.text("style", "cursor")
    if style == "cursor":
        return CursorPaging(
            cursor_param=entry.text("cursor_param", "cursor"),
            next_field=entry.text("next_field", "next_cursor"),
            limit_param=entry.text("limit_param", "limit"),
        )
    if style == "page":
        return PagePaging(
            page_param=entry.text("page_param", "page"),
            size_param=entry.text("size_param", "page_size"),
            since_param=entry.optional_text("since_param"),
            first_page=int(entry.raw.get("first_page", 1)),
        )
    raise entry.fail("style", "choose cursor or page")


def _file(entry: _Entry, common: Common) -> FileSpec:
    return FileSpec(
        pattern=entry.text("pattern"),
        mapping=_mapping(entry, common, default_key=(), default_version=None),
        encoding=entry.text("encoding", "utf-8-sig"),
        delimiter=entry.text("delimiter", ","),
        sheet=entry.optional_text("sheet"),
    )


def _mapping(
    entry: _Entry, common: Common, *, default_key: tuple[str, ...], default_version: str | None
) -> RecordMapping:
    event_type = entry.text("event_type")
    try:
        registry.type_info(event_type)
    except UnknownEventType:
        raise entry.fail(
            "event_type",
            f"{event_type} is not a published contract (see `qinglian contracts list`)",
        ) from None
    fields = _Entry(entry.table("fields"), f"{entry.label}.fields")
    if not fields.raw:
        raise entry.fail("fields", "map at least one contract field")
    key = entry.texts("key", list(default_key)) if "key" in entry.raw or default_key else ()
    return RecordMapping(
        event_type=event_type,
        school_id=_rule(entry, "school_id", common, default_convert="text"),
        time=_rule(entry, "time", common, default_convert="local_time"),
        subject=_rule(entry, "subject", common, default_convert="text")
        if "subject" in entry.raw
        else None,
        district_id=_rule(entry, "district_id", common, default_convert="text")
        if "district_id" in entry.raw
        else None,
        fields=tuple(_field(fields, name, common) for name in fields.raw),
        key=key,
        version=entry.optional_text("version") if "version" in entry.raw else default_version,
    )


def _field(fields: _Entry, name: str, common: Common) -> tuple[tuple[str | int, ...], FieldRule]:
    try:
        path = parse_path(name)
    except ValueError as exc:
        raise fields.fail(name, str(exc)) from None
    return path, _rule(fields, name, common, default_convert="none")


def _rule(entry: _Entry, name: str, common: Common, *, default_convert: str) -> FieldRule:
    raw = entry.raw.get(name)
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict) or ("column" in raw) == ("value" in raw):
        raise entry.fail(name, "give a column name, {column: ..., convert: ...} or {value: ...}")
    if "value" in raw:
        return FieldRule(constant=raw["value"])
    # YAML reads an unquoted `null:` key as None, which is how the example files write it.
    null = raw.get("null", raw.get(None, "omit"))
    if null not in ("omit", "keep"):
        raise entry.fail(name, "null must be omit or keep")
    try:
        convert = converter(
            str(raw.get("convert", default_convert)),
            zone=common.zone,
            codes=raw.get("codes"),
            separator=str(raw.get("separator", ";")),
        )
    except ValueError as exc:
        raise entry.fail(name, str(exc)) from None
    return FieldRule(column=str(raw["column"]), converter=convert, keep_null=null == "keep")
