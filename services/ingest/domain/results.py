"""Per-event results of a push and the HTTP status that summarizes them.

Status semantics (the body is authoritative; the status is a summary):

    200  every event is accepted or duplicate
    207  some events are accepted or duplicate, some rejected
    403  nothing accepted, and every rejected event was refused because the source
         may not publish its type or school, or because no source may (alerts)
    422  nothing accepted, and at least one event was rejected by its contract

Every rejected event is in the dead-letter topic (``deadletter_id``), so a 207, 403
or 422 has still been recorded. Whole-request refusals (400, 401, 413, 503) record
nothing: the sender still owns those events and must fix or re-send them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an event was rejected: the field (dotted path, "" for the whole event) and the rule."""

    path: str
    rule: str
    message: str


# Rules the ingest service adds to the contract's own rules.
NOT_AN_OBJECT = "not_an_object"
SOURCE_TYPE_NOT_ALLOWED = "source_type_not_allowed"
SOURCE_SCHOOL_NOT_ALLOWED = "source_school_not_allowed"
DOMAIN_NOT_INGESTED = "domain_not_ingested"  # alerts: only the detectors publish them
PERMISSION_RULES = frozenset(
    {SOURCE_TYPE_NOT_ALLOWED, SOURCE_SCHOOL_NOT_ALLOWED, DOMAIN_NOT_INGESTED}
)


@dataclass(frozen=True, slots=True)
class ItemResult:
    index: int
    event_id: str | None
    status: ItemStatus
    reasons: tuple[Reason, ...] = ()
    topic: str | None = None
    deadletter_id: str | None = None

    @property
    def forbidden(self) -> bool:
        return any(reason.rule in PERMISSION_RULES for reason in self.reasons)

    def as_dict(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "index": self.index,
            "id": self.event_id,
            "status": self.status.value,
        }
        if self.topic:
            shown["topic"] = self.topic
        if self.reasons:
            shown["reasons"] = [
                {"path": r.path, "rule": r.rule, "message": r.message} for r in self.reasons
            ]
        if self.deadletter_id:
            shown["deadletter_id"] = self.deadletter_id
        return shown


def response_status(results: Sequence[ItemResult]) -> int:
    rejected = [result for result in results if result.status is ItemStatus.REJECTED]
    if not rejected:
        return 200
    if len(rejected) < len(results):
        return 207
    return 403 if all(result.forbidden for result in rejected) else 422


def summary(results: Sequence[ItemResult]) -> dict[str, int]:
    counts = Counter(result.status for result in results)
    return {status.value: counts.get(status, 0) for status in ItemStatus}
