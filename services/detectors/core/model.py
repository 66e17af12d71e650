"""The plain data that rules produce and the engine turns into alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

# Severity, RiskArea and SubjectKind are the alerts contract's enums, generated from its schema;
# rules import them from here with the rest of their vocabulary.
from contracts.types import RiskArea, Severity, SubjectKind

__all__ = [
    "Comparison",
    "Event",
    "Finding",
    "RiskArea",
    "RuleKind",
    "Severity",
    "Subject",
    "SubjectKind",
    "Window",
]

Event = Mapping[str, Any]
"""A CloudEvents dict as it travels on Kafka: id, type, time, source, subject, schoolid, districtid, data."""


class RuleKind(StrEnum):
    SINGLE_EVENT = "single_event"
    WINDOWED = "windowed"
    JOIN = "join"


class Comparison(StrEnum):
    """How the measured value relates to the threshold when the rule fires."""

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


@dataclass(frozen=True, slots=True)
class Subject:
    """What the alert is about: a vendor, a contract, a student pseudonym, a class..."""

    kind: SubjectKind
    id: str


@dataclass(frozen=True, slots=True)
class Window:
    """Half-open event-time interval [start, end)."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation, before the engine adds the rule's metadata and configuration."""

    school_id: str | None
    district_id: str | None
    subject: Subject
    measured_value: Decimal
    threshold: Decimal
    comparison: Comparison
    evidence_event_ids: tuple[str, ...]
    event_time: datetime
    window: Window | None = None
    record_id: str | None = None
    """The source record (inspection, charge, voucher...) a per-record finding is about; with the
    window it tells two findings on the same subject apart, and it enters the alert id."""
    details: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    """Overrides the configured severity when one rule has tiers (E3: 大班额 orange, 超大班额 red)."""
