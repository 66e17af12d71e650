"""Alert events on the wire (CloudEvents, structured mode) to domain alerts and back.

Validation is the contract's own (``contracts.registry.validate``); on top of it
the alerting service refuses a person subject whose id is not a pseudonym, so a
clear identifier can never end up in a case, and an envelope whose ``schoolid``
or ``districtid`` differs from the data's, since those decide who sees the case.
A district-level alert (no school, only a district) has no ``schoolid`` at all.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson

from contracts.envelope import ALERT_TYPE, new_alert_event
from contracts.errors import ContractViolation
from contracts.registry import validate
from services.alerting.domain.alerts import Alert, RiskArea, Severity, Subject, SubjectKind, Window
from services.alerting.errors import InvalidAlert

DETECTORS_SOURCE = "/qinglian/detectors"
_PSEUDONYM = re.compile(r"pn:[0-9a-f]{32}")
_PERSON_KINDS = frozenset({SubjectKind.STUDENT, SubjectKind.STAFF})


def decode_alert_event(value: bytes | None) -> Alert:
    """The alert in one Kafka record value; raises InvalidAlert saying what is wrong."""
    if value is None:
        raise InvalidAlert("空消息 / empty record value (tombstone)")
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidAlert(f"不是 JSON / not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise InvalidAlert("不是 CloudEvent 对象 / value is not a JSON object")
    try:
        validate(event)
    except ContractViolation as exc:
        reasons = [{"path": v.path, "rule": v.rule, "message": v.message} for v in exc.violations]
        raise InvalidAlert(str(exc), reasons) from exc
    if event["type"] != ALERT_TYPE:
        raise InvalidAlert(f"不是预警事件 / event type {event['type']} is not {ALERT_TYPE}")
    _check_scope(event)
    return alert_from_data(event["data"])


def _check_scope(event: dict[str, Any]) -> None:
    """The envelope's school and district must be the data's: they route the record and scope the case."""
    for attribute, field_name in (("schoolid", "school_id"), ("districtid", "district_id")):
        if event.get(attribute) != event["data"][field_name]:
            message = (
                f"信封与预警数据不一致 / envelope {attribute} {event.get(attribute)!r} differs from "
                f"data.{field_name} {event['data'][field_name]!r}"
            )
            raise InvalidAlert(message, [{"path": attribute, "rule": "scope", "message": message}])


def alert_from_data(data: dict[str, Any]) -> Alert:
    """A domain alert from contract-valid ``data``."""
    subject = Subject(SubjectKind(data["subject"]["kind"]), data["subject"]["id"])
    if subject.kind in _PERSON_KINDS and not _PSEUDONYM.fullmatch(subject.id):
        message = f"人员主体须为假名 / a {subject.kind.value} subject must be a pseudonym (pn:<32 hex>), got a clear id"
        raise InvalidAlert(
            message, [{"path": "data.subject.id", "rule": "pseudonym", "message": message}]
        )
    window = data["window"]
    return Alert(
        alert_id=data["alert_id"],
        rule_id=data["rule_id"],
        rule_version=data["rule_version"],
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        severity=Severity(data["severity"]),
        risk_area=RiskArea(data["risk_area"]),
        school_id=data["school_id"],
        district_id=data["district_id"],
        subject=subject,
        measured_value=data["measured_value"],
        threshold=data["threshold"],
        comparison=data["comparison"],
        evidence_event_ids=tuple(data["evidence_event_ids"]),
        citation=data["citation"],
        window=None if window is None else Window(_time(window["start"]), _time(window["end"])),
        event_time=_time(data["event_time"]),
        detected_at=_time(data["detected_at"]),
        rules_config_hash=data["rules_config_hash"],
        details=data["details"],
    )


def alert_to_data(alert: Alert) -> dict[str, Any]:
    """The contract's ``data`` object for ``alert`` (what the detectors publish, and what a case stores)."""
    return {
        "alert_id": alert.alert_id,
        "rule_id": alert.rule_id,
        "rule_version": alert.rule_version,
        "title_zh": alert.title_zh,
        "title_en": alert.title_en,
        "severity": alert.severity.value,
        "risk_area": alert.risk_area.value,
        "school_id": alert.school_id,
        "district_id": alert.district_id,
        "subject": {"kind": alert.subject.kind.value, "id": alert.subject.id},
        "measured_value": alert.measured_value,
        "threshold": alert.threshold,
        "comparison": alert.comparison,
        "evidence_event_ids": list(alert.evidence_event_ids),
        "citation": alert.citation,
        "window": None
        if alert.window is None
        else {"start": alert.window.start.isoformat(), "end": alert.window.end.isoformat()},
        "event_time": alert.event_time.isoformat(),
        "detected_at": alert.detected_at.isoformat(),
        "rules_config_hash": alert.rules_config_hash,
        "details": alert.details,
    }


def encode_alert_event(alert: Alert, *, source: str = DETECTORS_SOURCE) -> bytes:
    """``alert`` as a structured-mode CloudEvent, the bytes a detector writes to the alerts topic
    (without ``schoolid`` for a district-level alert)."""
    return orjson.dumps(
        new_alert_event(alert_to_data(alert), source=source, time=alert.detected_at)
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
