"""Ports other than storage: where school leaders are known, and how notifications leave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from services.alerting.domain.notifications import Notification


class LeadersDirectory(Protocol):
    def leaders_of(self, school_id: str) -> Mapping[str, str]:
        """The school's leaders as pseudonym → role (``principal``, ``party_secretary``, …)."""
        ...


class Notifier(Protocol):
    channel: str

    def send(self, notification: Notification) -> None:
        """Deliver or raise ``NotificationFailed``; called again for the same key after a crash."""
        ...
