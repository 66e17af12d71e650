"""Ports other than storage: where school leaders are known, how notifications leave, how passwords
are hashed, where audit bundles find raw evidence and attachments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Protocol

from services.alerting.domain.audit_bundle import EvidenceQuery, EvidenceRecord
from services.alerting.domain.notifications import DeliveryAttempt, Notification


class LeadersDirectory(Protocol):
    def leaders_of(self, school_id: str) -> Mapping[str, str]:
        """The school's leaders as pseudonym → role (``principal``, ``party_secretary``, …)."""
        ...


class Notifier(Protocol):
    channel: str

    def send(
        self, notification: Notification, *, delivered: AbstractSet[str]
    ) -> list[DeliveryAttempt]:
        """Deliver on every channel for its recipient except those in ``delivered`` (names that already have it).

        Returns every attempt, failed ones included; never raises for a delivery
        failure. Called again for the same key after a crash.
        """
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches; False otherwise (never raises for a mismatch)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class EvidenceSource(Protocol):
    topics: tuple[str, ...]

    def find(self, queries: Sequence[EvidenceQuery]) -> list[EvidenceRecord]:
        """The cited events found where the queries say to look (read-only); absent ones are left out."""
        ...


class AttachmentReader(Protocol):
    def read(self, sha256: str) -> bytes | None:
        """The attached file with this sha256, or None when it is not stored."""
        ...
