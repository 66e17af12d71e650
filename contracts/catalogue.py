"""Reading the schema files: every schema by its $id, and which file defines which event type.

The files under ``contracts/schemas/`` are the single source of truth; this
module only loads and cross-checks them (a data schema's $id must match its
path, its title must read "中文 / English", it must carry a semver
``x-qinglian-version``). The same loader reads the published lock under
``contracts/published/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from contracts.errors import ContractError
from contracts.naming import SCHEMA_DIR, TypeName, parse_schema_path

Schema = dict[str, Any]

_SEMVER = re.compile(r"^(?P<major>[0-9]+)\.[0-9]+\.[0-9]+$")
TITLE_SEPARATOR = " / "


@dataclass(frozen=True)
class SchemaCatalogue:
    schemas_by_id: Mapping[str, Schema]
    types: Mapping[str, TypeName]  # event type → its name parts, sorted by type

    def data_schema(self, event_type: str) -> Schema:
        return self.schemas_by_id[self.types[event_type].schema_id]

    def resolve(self, base_uri: str, ref: str) -> tuple[str, Schema]:
        """Follow a $ref found in the schema whose $id is ``base_uri``: (the target's document id, the target)."""
        document_id, fragment = urldefrag(urljoin(base_uri, ref))
        try:
            node: Any = self.schemas_by_id[document_id]
            for token in filter(None, fragment.split("/")):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        except KeyError as exc:
            raise ContractError(f"无法解析引用 / unresolvable $ref {ref!r} in {base_uri}") from exc
        return document_id, node


def split_title(schema: Schema) -> tuple[str, str]:
    title_zh, separator, title_en = schema.get("title", "").partition(TITLE_SEPARATOR)
    if not separator or not title_zh or not title_en:
        raise ContractError(
            f"模式标题格式错误 / schema {schema.get('$id')} needs a title of the form '中文 / English'"
        )
    return title_zh, title_en


def load_catalogue(root: Path = SCHEMA_DIR) -> SchemaCatalogue:
    schemas: dict[str, Schema] = {}
    types: dict[str, TypeName] = {}
    for path in sorted(root.rglob("*.schema.json")):
        schema = _read(path)
        schema_id = schema.get("$id")
        if not isinstance(schema_id, str) or schema_id in schemas:
            raise ContractError(f"模式缺少或重复 $id / {path} has a missing or duplicate $id")
        schemas[schema_id] = schema
        type_name = parse_schema_path(path, root)
        if type_name is None:
            continue
        if schema_id != type_name.schema_id:
            raise ContractError(f"模式 $id 与路径不符 / {path}: $id must be {type_name.schema_id}")
        version = _SEMVER.match(str(schema.get("x-qinglian-version", "")))
        if version is None or int(version["major"]) != type_name.major:
            raise ContractError(
                f"版本号错误 / {path}: x-qinglian-version must be a semver whose major is {type_name.major}, "
                f"e.g. {type_name.major}.0.0"
            )
        split_title(schema)
        types[type_name.event_type] = type_name
    if not types:
        raise ContractError(f"找不到契约模式 / no data schemas under {root}")
    return SchemaCatalogue(schemas_by_id=schemas, types=dict(sorted(types.items())))


def _read(path: Path) -> Schema:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContractError(f"无法读取模式文件 / cannot read schema {path}: {exc}") from exc
    if not isinstance(schema, dict):
        raise ContractError(f"模式必须是 JSON 对象 / schema {path} must be a JSON object")
    return schema
