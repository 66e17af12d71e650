"""What the auditor selected: which raw topics to read, which rules to run, which alerts to compare.

Every selected rule still sees every event of the topics read, so a rule that
compares schools (a district median, a student registered twice) judges one
school against the others exactly as the live detectors did; ``--school`` only
narrows the alerts compared. ``--topic`` keeps the rules whose event types all
come from the topics read: a rule missing one of its inputs would differ from
live for no reason of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.detectors.audit_replay.errors import ReplayRequestError
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import RuleConfig, RuleSet
from services.detectors.core.eventtime import parse_time


@dataclass(frozen=True, slots=True)
class AuditScope:
    """The alerts a comparison covers: the range (by event time), the rules and the schools."""

    audit_range: AuditRange
    rule_ids: frozenset[str]
    schools: frozenset[str] = frozenset()
    """Empty: every school."""

    def covers(self, alert: Mapping[str, Any]) -> bool:
        if alert["rule_id"] not in self.rule_ids:
            return False
        if self.schools and alert.get("school_id") not in self.schools:
            return False
        return self.audit_range.contains(parse_time(alert["event_time"]))


def select_domains(values: Iterable[str], topics_by_domain: Mapping[str, str]) -> tuple[str, ...]:
    """The domains named by ``--topic`` values (a domain or its raw topic's name, comma lists
    allowed), in the usual domain order; every domain when none is named."""
    by_name = {
        **{topic: domain for domain, topic in topics_by_domain.items()},
        **{d: d for d in topics_by_domain},
    }
    chosen = set()
    for value in values:
        for name in filter(None, (item.strip() for item in value.split(","))):
            if name not in by_name:
                raise ReplayRequestError(
                    f"--topic {name!r}: 不是原始事件主题 / not a raw topic; use one of "
                    f"{', '.join(topics_by_domain)} or {', '.join(topics_by_domain.values())}"
                )
            chosen.add(by_name[name])
    return tuple(domain for domain in topics_by_domain if not chosen or domain in chosen)


def rule_domains(config: RuleConfig) -> frozenset[str]:
    """The domains of the event types the rule reads (``cn.edu.qinglian.<domain>.<name>.v1``)."""
    return frozenset(event_type.split(".")[3] for event_type in config.rule.meta.event_types)


def select_rules(rule_set: RuleSet, rule_ids: Iterable[str], domains: Iterable[str]) -> RuleSet:
    """The rule set narrowed to the named rules (every rule when none is named) that the chosen
    domains feed. The configuration hash is kept: it names the whole configuration that ran."""
    read = frozenset(domains)
    wanted = {
        rule_id.strip().upper()
        for value in rule_ids
        for rule_id in value.split(",")
        if rule_id.strip()
    }
    known = {config.rule_id for config in rule_set.rules}
    unknown = sorted(wanted - known)
    if unknown:
        raise ReplayRequestError(
            f"--rule {unknown[0]}: 未知规则 / unknown rule; known rules: {', '.join(sorted(known))}"
        )
    for config in rule_set.rules:
        missing = sorted(rule_domains(config) - read)
        if config.rule_id in wanted and missing:
            raise ReplayRequestError(
                f"--rule {config.rule_id}: 该规则还需要 / also reads {', '.join(missing)} events; "
                f"add --topic {' --topic '.join(missing)}"
            )
    selected = tuple(
        config
        for config in rule_set.rules
        if (not wanted or config.rule_id in wanted) and rule_domains(config) <= read
    )
    return dataclasses.replace(rule_set, rules=selected)


def select_schools(values: Iterable[str]) -> frozenset[str]:
    return frozenset(
        school.strip() for value in values for school in value.split(",") if school.strip()
    )
