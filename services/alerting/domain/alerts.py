"""An alert as the detectors publish it (contract ``alerts/alert.v1``), as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The alerts contract's enums, generated from its schema (contracts/codegen.py); the case
# workflow imports them from here with the rest of an alert's vocabulary.
from contracts.types import RiskArea, Severity, SubjectKind

_SEVERITY_RANK: Mapping[Severity, int] = {Severity.RED: 0, Severity.ORANGE: 1, Severity.YELLOW: 2}
SEVERITY_ZH: Mapping[Severity, str] = {
    Severity.RED: "红",
    Severity.ORANGE: "橙",
    Severity.YELLOW: "黄",
}


def severity_rank(severity: Severity) -> int:
    """0 is the most severe, so an ascending sort puts red first."""
    return _SEVERITY_RANK[severity]


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    id: str


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    rule_id: str
    rule_version: str
    title_zh: str
    title_en: str
    severity: Severity
    risk_area: RiskArea
    school_id: str | None
    district_id: str | None
    subject: Subject
    measured_value: str
    threshold: str
    comparison: str
    evidence_event_ids: tuple[str, ...]
    citation: str
    window: Window | None
    event_time: datetime
    detected_at: datetime
    rules_config_hash: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def case_key(self) -> CaseKey:
        return CaseKey(school_id=self.school_id, rule_id=self.rule_id, subject=self.subject)


@dataclass(frozen=True, slots=True)
class CaseKey:
    """Alerts with the same key belong to the same problem: one school, one rule, one subject.

    A rule that looks across schools (vendor concentration, say) raises alerts without a school.
    """

    school_id: str | None
    rule_id: str
    subject: Subject
