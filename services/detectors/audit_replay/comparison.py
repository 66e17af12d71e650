"""Comparing two sets of alerts (contract objects): identical, only on one side, or changed.

Alerts are matched by ``alert_id``, which the engine derives from the rule id
and version, school, subject, window and source record, never from the
parameters, the detection time or the configuration hash: the same finding has
the same id in live detection, in replay and under a candidate configuration.
When a rule's code version differs between the two sides the ids differ too,
so alerts left unmatched are then paired on (rule, school, subject, window)
when that pairing is unambiguous.

A matched pair is identical unless a field other than ``detected_at`` (when it
was detected) and ``rules_config_hash`` (compared once for the whole report)
differs. Evidence is compared as a set: two runs may meet one window's events
in a different order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Alert = Mapping[str, Any]
"""An alert as the ``alerts`` contract's JSON object."""

NOT_COMPARED = frozenset({"detected_at", "rules_config_hash"})
UNORDERED = frozenset({"evidence_event_ids"})


@dataclass(frozen=True, slots=True)
class FieldDifference:
    field: str
    reference: Any
    candidate: Any


@dataclass(frozen=True, slots=True)
class ChangedAlert:
    reference: Alert
    candidate: Alert
    differences: tuple[FieldDifference, ...]
    matched_by: str
    """``alert_id``, or ``subject`` when paired on (rule, school, subject, window)."""


@dataclass(frozen=True, slots=True)
class AlertDiff:
    identical: tuple[Alert, ...]
    only_reference: tuple[Alert, ...]
    only_candidate: tuple[Alert, ...]
    changed: tuple[ChangedAlert, ...]

    @property
    def differences(self) -> int:
        return len(self.only_reference) + len(self.only_candidate) + len(self.changed)


@dataclass(frozen=True, slots=True)
class UniqueAlerts:
    alerts: dict[str, Alert]
    duplicates: int
    """Alerts seen again under an id already seen (a re-processed record); the last one is kept."""


def unique_alerts(alerts: Iterable[Alert]) -> UniqueAlerts:
    by_id: dict[str, Alert] = {}
    duplicates = 0
    for alert in alerts:
        duplicates += alert["alert_id"] in by_id
        by_id[alert["alert_id"]] = alert
    return UniqueAlerts(by_id, duplicates)


def compare_alerts(reference: Iterable[Alert], candidate: Iterable[Alert]) -> AlertDiff:
    left = unique_alerts(reference).alerts
    right = unique_alerts(candidate).alerts
    identical: list[Alert] = []
    changed: list[ChangedAlert] = []
    for alert_id in left.keys() & right.keys():
        differences = field_differences(left[alert_id], right[alert_id])
        if differences:
            changed.append(ChangedAlert(left[alert_id], right[alert_id], differences, "alert_id"))
        else:
            identical.append(right[alert_id])
    only_left = [alert for alert_id, alert in left.items() if alert_id not in right]
    only_right = [alert for alert_id, alert in right.items() if alert_id not in left]
    for old, new in _paired_across_versions(only_left, only_right):
        only_left.remove(old)
        only_right.remove(new)
        changed.append(ChangedAlert(old, new, field_differences(old, new), "subject"))
    return AlertDiff(
        identical=tuple(sorted(identical, key=chronological)),
        only_reference=tuple(sorted(only_left, key=chronological)),
        only_candidate=tuple(sorted(only_right, key=chronological)),
        changed=tuple(sorted(changed, key=lambda item: chronological(item.reference))),
    )


def field_differences(reference: Alert, candidate: Alert) -> tuple[FieldDifference, ...]:
    names = sorted((reference.keys() | candidate.keys()) - NOT_COMPARED - {"alert_id"})
    return tuple(
        FieldDifference(name, reference.get(name), candidate.get(name))
        for name in names
        if _comparable(name, reference.get(name)) != _comparable(name, candidate.get(name))
    )


def subject_key(alert: Alert) -> tuple[Any, ...]:
    subject = alert.get("subject") or {}
    window = alert.get("window") or {}
    return (
        alert["rule_id"],
        alert.get("school_id"),
        subject.get("kind"),
        subject.get("id"),
        window.get("start"),
        window.get("end"),
    )


def chronological(alert: Alert) -> tuple[str, str, str]:
    return (alert["event_time"], alert["rule_id"], alert["alert_id"])


def _paired_across_versions(left: list[Alert], right: list[Alert]) -> list[tuple[Alert, Alert]]:
    left_keys = Counter(subject_key(alert) for alert in left)
    right_keys = Counter(subject_key(alert) for alert in right)
    right_by_key = {subject_key(alert): alert for alert in right}
    return [
        (alert, right_by_key[key])
        for alert in left
        if left_keys[key := subject_key(alert)] == 1
        and right_keys[key] == 1
        and right_by_key[key]["rule_version"] != alert["rule_version"]
    ]


def _comparable(name: str, value: Any) -> Any:
    if name in UNORDERED and isinstance(value, list | tuple):
        return sorted(value)
    return value
