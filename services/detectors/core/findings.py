"""Small helpers rules share to read event data and build findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import event_time
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    Severity,
    Subject,
    SubjectKind,
    Window,
)

EVIDENCE_LIMIT = 200
"""Evidence ids an alert lists at most; the rest are events of the alert's window, and
``evidence_total`` in its details says how many there were."""


def capped_evidence(
    event_ids: Sequence[str], limit: int = EVIDENCE_LIMIT
) -> tuple[tuple[str, ...], dict[str, int]]:
    """The first ``limit`` evidence ids, and the details that say how many there were if cut."""
    if len(event_ids) <= limit:
        return tuple(event_ids), {}
    return tuple(event_ids[:limit]), {"evidence_total": len(event_ids), "evidence_shown": limit}


def yuan(amount_fen: int | Decimal) -> Decimal:
    """Contracts carry money as integer fen; alerts and parameters speak 元."""
    return Decimal(amount_fen).scaleb(-2)


def finding(
    event: Event,
    *,
    subject: tuple[SubjectKind, str],
    measured: Decimal | int,
    threshold: Decimal | int,
    comparison: Comparison,
    evidence: Iterable[str] | None = None,
    moment: datetime | None = None,
    window: Window | None = None,
    record_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding about one event's school, by default with that event as its evidence and time."""
    return Finding(
        school_id=event["schoolid"],
        district_id=event.get("districtid"),
        subject=Subject(*subject),
        measured_value=Decimal(measured),
        threshold=Decimal(threshold),
        comparison=comparison,
        evidence_event_ids=tuple(evidence) if evidence is not None else (event["id"],),
        event_time=moment or event_time(event),
        window=window,
        record_id=record_id,
        details=details or {},
        severity=severity,
    )


def origin(event: Event) -> dict[str, Any]:
    """The school and district to remember in state, so timer findings can name them."""
    return {"school": event["schoolid"], "district": event.get("districtid")}


def stored_finding(state: Mapping[str, Any], **fields: Any) -> Finding:
    """A finding built from state (in a timer), for the school recorded by :func:`origin`."""
    subject = fields.pop("subject")
    return Finding(
        school_id=state["school"],
        district_id=state.get("district"),
        subject=Subject(*subject),
        measured_value=Decimal(fields.pop("measured")),
        threshold=Decimal(fields.pop("threshold")),
        evidence_event_ids=tuple(fields.pop("evidence")),
        event_time=fields.pop("moment"),
        **fields,
    )
