"""What the simulator produces, in event-time order: events and ground-truth records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import format_time


@dataclass(frozen=True, slots=True)
class SimulatedEvent:
    time: datetime
    event: dict[str, Any]
    """A CloudEvent with clear PII, as the school system sends it."""

    @property
    def domain(self) -> str:
        return self.event["type"].split(".")[3]


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """An injected anomaly: the alert a correct detector raises for it."""

    time: datetime
    rule_id: str
    school_id: str | None
    """None when the subject works across schools (a tenderer judged against the whole district)."""
    subject_kind: str
    subject_id: str
    """As the rule names it; a person's identifier is pseudonymized as ingest does."""
    evidence_event_ids: tuple[str, ...]
    record_id: str | None = None
    """The record the rule reports on, when one subject can have several alerts (e.g. one per inspection)."""

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "rule_id": self.rule_id,
            "school_id": self.school_id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "event_time": format_time(self.time),
            "evidence_event_ids": list(self.evidence_event_ids),
        }
        if self.record_id is not None:
            record["record_id"] = self.record_id
        return record


Emission = SimulatedEvent | GroundTruth
