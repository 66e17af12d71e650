"""Text for `qinglian rules list` and `qinglian rules show` (Chinese first, English second)."""

from __future__ import annotations

import json
import textwrap

from services.detectors.core.config import RuleConfig, RuleSet
from services.detectors.core.parameters import parameters_as_json


def header(rule_set: RuleSet) -> str:
    district = rule_set.district or "—"
    lateness = int(rule_set.allowed_lateness.total_seconds() // 60)
    return (
        f"规则版本 / rules version {rule_set.version} · 区县 / district {district} · "
        f"允许迟到 / allowed lateness {lateness} min · 配置哈希 / config hash {rule_set.config_hash}"
    )


def summary(config: RuleConfig) -> list[str]:
    meta = config.rule.meta
    state = "" if config.enabled else "  [停用 / disabled]"
    lines = [
        f"{meta.id:<11} {meta.kind.value:<12} {config.severity.value:<6} {meta.title_zh} / {meta.title_en}{state}",
        f"{'':<11} 依据 / citation: {meta.citation}",
    ]
    parameters = parameters_as_json(config.params)
    if parameters:
        lines.append(f"{'':<11} 参数 / parameters: {_parameters_inline(parameters)}")
    return lines


def details(config: RuleConfig) -> list[str]:
    meta = config.rule.meta
    scope = "global (repartitioned)" if meta.global_state else "per school"
    lines = [
        f"{meta.id} v{meta.version} · {meta.title_zh} / {meta.title_en}",
        (
            f"类型 / kind: {meta.kind.value} · 等级 / severity: {config.severity.value} · 领域 / risk area: "
            f"{meta.risk_area.value} · 状态 / state: {scope} · {'启用 / enabled' if config.enabled else '停用 / disabled'}"
        ),
        f"依据 / citation: {meta.citation}",
        "事件 / event types: " + ", ".join(sorted(meta.event_types)),
        "参数 / parameters:",
    ]
    parameters = parameters_as_json(config.params)
    lines += [f"  {name} = {_value(value)}" for name, value in parameters.items()] or ["  (none)"]
    lines += ["", textwrap.dedent(meta.doc).strip()]
    return lines


def _parameters_inline(parameters: dict[str, object]) -> str:
    return ", ".join(f"{name}={_value(value)}" for name, value in parameters.items())


def _value(value: object) -> str:
    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)
