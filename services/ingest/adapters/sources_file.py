"""The sources file: registered source systems with their keys and permissions (YAML or TOML).

```yaml
sources:
  - id: fuling-finance                    # the X-Qinglian-Source header
    name: 涪陵区数字财务平台
    keys:                                 # one or two active keys (rotation)
      - id: "2025-09"
        secret_env: FULING_FINANCE_KEY    # read from the environment (preferred)
      - id: "2026-03"
        secret: "only-for-local-testing"  # or inline
    event_types: ["cn.edu.qinglian.finance.*"]
    school_ids: ["*"]                     # shell-style patterns
  - id: fuling-xueji                      # only pulled (a connector reads it): no keys,
    push: false                           # and the push API refuses it
    event_types: ["cn.edu.qinglian.enrollment.*"]
    school_ids: ["*"]
```

A source pushes unless it says ``push: false``; one that pushes needs a key.
Secrets are read from the environment so the file can be committed; the variable
must not start with ``QINGLIAN_``, a prefix reserved for settings.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import yaml

from qinglian.settings import ENV_PREFIX
from services.ingest.domain.sources import (
    SigningKey,
    SourceDefinitionError,
    SourceRegistry,
    SourceSystem,
)
from services.ingest.errors import SourcesFileError


def load_sources(path: Path, environ: Mapping[str, str] | None = None) -> SourceRegistry:
    environ = os.environ if environ is None else environ
    document = _read(path)
    entries = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourcesFileError(f"来源文件无效 / {path}: expected a non-empty 'sources' list")
    try:
        return SourceRegistry.of(
            _source(entry, number, environ) for number, entry in enumerate(entries, start=1)
        )
    except SourceDefinitionError as exc:
        raise SourcesFileError(f"来源文件无效 / {path}: {exc}") from exc


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesFileError(
            f"来源文件无法读取 / cannot read the sources file {path}: {exc.strerror}"
        ) from exc
    try:
        return tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise SourcesFileError(
            f"来源文件格式错误 / {path} is not valid {path.suffix or 'YAML'}: {exc}"
        ) from exc


def _source(entry: object, number: int, environ: Mapping[str, str]) -> SourceSystem:
    if not isinstance(entry, dict):
        raise SourceDefinitionError(f"source #{number} must be a mapping")
    source_id = str(entry.get("id") or "")
    label = f"source '{source_id}'" if source_id else f"source #{number}"
    may_push = entry.get("push", True)
    if not isinstance(may_push, bool):
        raise SourceDefinitionError(f"{label}: 'push' must be true or false")
    keys = entry.get("keys", [] if not may_push else None)
    if not isinstance(keys, list):
        raise SourceDefinitionError(
            f"{label} needs a 'keys' list to push; set push: false for a source that is only pulled"
        )
    return SourceSystem(
        source_id=source_id,
        name=str(entry.get("name", "")),
        keys=tuple(_key(key, label, environ) for key in keys),
        event_types=_patterns(entry, "event_types", label),
        school_ids=_patterns(entry, "school_ids", label),
        may_push=may_push,
    )


def _patterns(entry: dict[str, object], field: str, label: str) -> tuple[str, ...]:
    values = entry.get(field)
    if not isinstance(values, list) or not all(isinstance(value, str | int) for value in values):
        raise SourceDefinitionError(f"{label} needs '{field}' as a list of strings")
    return tuple(str(value) for value in values)


def _key(entry: object, label: str, environ: Mapping[str, str]) -> SigningKey:
    if not isinstance(entry, dict) or not entry.get("id"):
        raise SourceDefinitionError(f"{label}: every key needs an 'id'")
    key_id = str(entry["id"])
    if "secret_env" in entry:
        variable = str(entry["secret_env"])
        if variable.startswith(ENV_PREFIX):
            raise SourceDefinitionError(
                f"{label} key '{key_id}': secret_env must not start with {ENV_PREFIX}"
            )
        if variable not in environ:
            raise SourceDefinitionError(
                f"{label} key '{key_id}': environment variable {variable} is not set"
            )
        return SigningKey(key_id, environ[variable].encode())
    if "secret" in entry:
        return SigningKey(key_id, str(entry["secret"]).encode())
    raise SourceDefinitionError(f"{label} key '{key_id}' needs 'secret_env' or 'secret'")
