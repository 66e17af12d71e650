"""Alerts: a finding plus its rule's metadata and configuration, with a
deterministic id so that re-processing or replaying never creates a second alert."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from services.detectors.core.config import RuleConfig
from services.detectors.core.eventtime import format_time
from services.detectors.core.model import Finding, Window

MAX_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Alert:
    alert_id: str
    rule_id: str
    rule_version: str
    title_zh: str
    title_en: str
    severity: str
    risk_area: str
    school_id: str | None
    district_id: str | None
    subject: Mapping[str, str]
    measured_value: str
    threshold: str
    comparison: str
    evidence_event_ids: tuple[str, ...]
    citation: str
    window: Mapping[str, str] | None
    event_time: str
    detected_at: str
    rules_config_hash: str
    details: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The alert as the ``alerts`` contract's JSON object."""
        return {
            "alert_id": self.alert_id,
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "severity": self.severity,
            "risk_area": self.risk_area,
            "school_id": self.school_id,
            "district_id": self.district_id,
            "subject": dict(self.subject),
            "measured_value": self.measured_value,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "evidence_event_ids": list(self.evidence_event_ids),
            "citation": self.citation,
            "window": dict(self.window) if self.window else None,
            "event_time": self.event_time,
            "detected_at": self.detected_at,
            "rules_config_hash": self.rules_config_hash,
            "details": _json_ready(self.details),
        }


def alert_id(rule_id: str, rule_version: str, school_id: str | None, finding: Finding) -> str:
    """SHA-256 over (rule id, rule version, school, subject, window, record); the
    event order, the detection time and the configuration hash do not enter it."""
    window = _window_json(finding.window)
    subject = finding.subject
    identity = [
        rule_id,
        rule_version,
        school_id,
        subject.kind.value,
        subject.id,
        window,
        finding.record_id,
    ]
    canonical = json.dumps(identity, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def build_alert(
    config: RuleConfig, finding: Finding, *, rules_config_hash: str, detected_at: datetime
) -> Alert:
    meta = config.rule.meta
    return Alert(
        alert_id=alert_id(meta.id, meta.version, finding.school_id, finding),
        rule_id=meta.id,
        rule_version=meta.version,
        title_zh=meta.title_zh,
        title_en=meta.title_en,
        severity=(finding.severity or config.severity).value,
        risk_area=meta.risk_area.value,
        school_id=finding.school_id,
        district_id=finding.district_id,
        subject={"kind": finding.subject.kind.value, "id": finding.subject.id},
        measured_value=decimal_string(finding.measured_value),
        threshold=decimal_string(finding.threshold),
        comparison=finding.comparison.value,
        evidence_event_ids=tuple(finding.evidence_event_ids),
        citation=meta.citation,
        window=_window_json(finding.window),
        event_time=format_time(finding.event_time),
        detected_at=format_time(detected_at),
        rules_config_hash=rules_config_hash,
        details=finding.details,
    )


def decimal_string(value: Decimal) -> str:
    """The contract's decimal string: plain notation, at most six decimals, no trailing zeros."""
    if value.as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
        value = value.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding=ROUND_HALF_EVEN)
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _window_json(window: Window | None) -> dict[str, str] | None:
    if window is None:
        return None
    return {"start": format_time(window.start), "end": format_time(window.end)}


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_string(value)
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value
