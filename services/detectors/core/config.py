"""The effective rules configuration: the versioned rules file with the
catalogue's defaults, a district's overrides merged on top, and its hash.

Rules file (TOML or YAML)::

    version = "2026.11.1"
    allowed_lateness_minutes = 60
    [rules.P3]
    enabled = true
    severity = "orange"
    [rules.P3.parameters]
    open_tender_threshold = "2000000"

A district override has the same ``rules`` table plus ``district`` (its id) and
``name``; only the keys it names change. ``rules_config_hash`` is the SHA-256 of
the canonical JSON of the effective configuration, so changing any parameter,
severity, switch, rule version or the lateness changes it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from services.detectors.core.model import Severity
from services.detectors.core.parameters import build_parameters, parameters_as_json
from services.detectors.core.rule import Rule
from services.detectors.errors import RulesConfigError, UnknownRuleError

DEFAULT_RULES_FILE = Path(__file__).resolve().parent.parent / "rules.toml"
DISTRICTS_DIR = Path(__file__).resolve().parent.parent / "districts"
RULE_KEYS = frozenset({"enabled", "severity", "parameters"})
DEFAULT_RULES_VERSION = "2026.11.1"
"""The version of the shipped ``rules.toml``; bump it with any change to a default."""
DEFAULT_LATENESS_MINUTES = 60


@dataclass(frozen=True, slots=True)
class RuleConfig:
    rule: Rule
    enabled: bool
    severity: Severity
    params: Any

    @property
    def rule_id(self) -> str:
        return self.rule.meta.id


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    district: str | None
    allowed_lateness: timedelta
    rules: tuple[RuleConfig, ...]
    config_hash: str

    def get(self, rule_id: str) -> RuleConfig:
        for config in self.rules:
            if config.rule_id == rule_id:
                return config
        raise UnknownRuleError(rule_id, [config.rule_id for config in self.rules])

    def enabled(self) -> tuple[RuleConfig, ...]:
        return tuple(config for config in self.rules if config.enabled)


def read_document(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesConfigError(f"{path}: 无法读取 / cannot read: {exc.strerror}") from exc
    try:
        document = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        detail = str(exc).splitlines()[0]
        raise RulesConfigError(
            f"{path}: 语法错误 / not valid {path.suffix[1:].upper()}: {detail}"
        ) from exc
    if not isinstance(document, Mapping):
        raise RulesConfigError(f"{path}: expected a table at the top level")
    return document


def load_rule_set(
    rules_file: Path | None = None,
    district_file: Path | None = None,
    *,
    catalogue: Iterable[Rule] | None = None,
) -> RuleSet:
    """Read the rules file (default: the shipped ``rules.toml``) and an optional district override."""
    if catalogue is None:
        from services.detectors.rules.catalogue import all_rules

        catalogue = all_rules()
    document = read_document(rules_file or DEFAULT_RULES_FILE)
    override = read_document(district_file) if district_file else None
    return build_rule_set(catalogue, document, override)


def build_rule_set(
    catalogue: Iterable[Rule],
    document: Mapping[str, Any],
    override: Mapping[str, Any] | None = None,
) -> RuleSet:
    rules = {rule.meta.id: rule for rule in catalogue}
    version = _require_str(document, "version", "rules file")
    lateness = document.get("allowed_lateness_minutes", DEFAULT_LATENESS_MINUTES)
    if isinstance(lateness, bool) or not isinstance(lateness, int) or lateness < 0:
        raise RulesConfigError(
            f"allowed_lateness_minutes: {lateness!r} must be a whole number of minutes ≥ 0"
        )
    base = _rule_tables(document, rules, "rules file")
    district = None
    if override is not None:
        district = _require_str(override, "district", "district override")
        for rule_id, table in _rule_tables(override, rules, f"district {district}").items():
            merged = dict(base.get(rule_id, {}))
            merged.update({key: value for key, value in table.items() if key != "parameters"})
            merged["parameters"] = {
                **base.get(rule_id, {}).get("parameters", {}),
                **table.get("parameters", {}),
            }
            base[rule_id] = merged
    configs = tuple(_rule_config(rule, base.get(rule_id, {})) for rule_id, rule in rules.items())
    effective = effective_configuration(version, district, timedelta(minutes=lateness), configs)
    return RuleSet(version, district, timedelta(minutes=lateness), configs, config_hash(effective))


def effective_configuration(
    version: str, district: str | None, lateness: timedelta, configs: Iterable[RuleConfig]
) -> dict[str, Any]:
    return {
        "version": version,
        "district": district,
        "allowed_lateness_minutes": int(lateness.total_seconds() // 60),
        "rules": {
            config.rule_id: {
                "rule_version": config.rule.meta.version,
                "enabled": config.enabled,
                "severity": config.severity.value,
                "parameters": parameters_as_json(config.params),
            }
            for config in configs
        },
    }


def config_hash(effective: Mapping[str, Any]) -> str:
    canonical = json.dumps(effective, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _rule_tables(
    document: Mapping[str, Any], rules: Mapping[str, Rule], where: str
) -> dict[str, dict[str, Any]]:
    tables = document.get("rules", {})
    if not isinstance(tables, Mapping):
        raise RulesConfigError(f"{where}: 'rules' must be a table of rule ids")
    result = {}
    for rule_id, table in tables.items():
        if rule_id not in rules:
            raise RulesConfigError(
                f"{where}: rules.{rule_id}: 未知规则 / unknown rule; known: {', '.join(rules)}"
            )
        if not isinstance(table, Mapping):
            raise RulesConfigError(f"{where}: rules.{rule_id} must be a table")
        unknown = sorted(set(table) - RULE_KEYS)
        if unknown:
            raise RulesConfigError(
                f"{where}: rules.{rule_id}.{unknown[0]}: unknown key; allowed: {', '.join(sorted(RULE_KEYS))}"
            )
        parameters = table.get("parameters", {})
        if not isinstance(parameters, Mapping):
            raise RulesConfigError(f"{where}: rules.{rule_id}.parameters must be a table")
        result[rule_id] = {**table, "parameters": dict(parameters)}
    return result


def _rule_config(rule: Rule, table: Mapping[str, Any]) -> RuleConfig:
    rule_id = rule.meta.id
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RulesConfigError(f"rules.{rule_id}.enabled: {enabled!r} must be true or false")
    severity = table.get("severity", rule.meta.severity.value)
    try:
        severity = Severity(severity)
    except ValueError as exc:
        raise RulesConfigError(
            f"rules.{rule_id}.severity: {severity!r} must be one of red, orange, yellow (红/橙/黄)"
        ) from exc
    params = build_parameters(rule_id, rule.meta.parameters, table.get("parameters", {}))
    return RuleConfig(rule, enabled, severity, params)


def _require_str(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise RulesConfigError(
            f"{where}: '{key}' is required and must be a string (e.g. {key} = \"2026.11.1\")"
        )
    return value
