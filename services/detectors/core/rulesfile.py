"""Writing a rules file: the catalogue's defaults as TOML, the shape ``config`` reads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from services.detectors.core.parameters import parameters_as_json
from services.detectors.core.rule import Rule


def render_defaults(rules: Iterable[Rule], *, version: str, allowed_lateness_minutes: int) -> str:
    lines = [
        "# 清廉 Qinglian detection rules: the catalogue's defaults.",
        "# Districts override any value in districts/<name>.yaml; money is in 元 (decimal strings).",
        f"version = {_toml(version)}",
        f"allowed_lateness_minutes = {allowed_lateness_minutes}",
    ]
    for rule in rules:
        meta = rule.meta
        defaults = parameters_as_json(meta.parameters())
        lines += ["", f"[rules.{meta.id}]  # {meta.title_zh} / {meta.title_en}", "enabled = true"]
        lines.append(f"severity = {_toml(meta.severity.value)}")
        if defaults:
            lines.append(f"[rules.{meta.id}.parameters]")
            lines += [
                f"# {name} = (unset)" if value is None else f"{name} = {_toml(value)}"
                for name, value in defaults.items()
            ]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_toml(key)} = {_toml(item)}" for key, item in value.items()) + " }"
        )
    raise TypeError(f"cannot write {value!r} as TOML")
