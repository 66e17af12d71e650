"""The notifier used until real channels are configured (``alerting_channels_file``): it logs."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

import structlog

from services.alerting.domain.notifications import DeliveryAttempt, DeliveryStatus, Notification

log = structlog.get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LogNotifier:
    """Writes each notification to the log and remembers its key (what tests assert on)."""

    channel = "log"

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self.sent: list[str] = []
        self._clock = clock

    def send(
        self, notification: Notification, *, delivered: AbstractSet[str]
    ) -> list[DeliveryAttempt]:
        if self.channel in delivered:
            return []
        log.info(
            "notification",
            key=notification.key,
            case_id=notification.case_id,
            audience=notification.recipient.audience.value,
            unit_id=notification.recipient.unit_id,
            role=notification.recipient.role,
            title=notification.payload.get("title_zh"),
        )
        self.sent.append(notification.key)
        return [
            DeliveryAttempt(
                notification_key=notification.key,
                case_id=notification.case_id,
                channel=self.channel,
                kind=self.channel,
                target="log",
                attempt=1,
                status=DeliveryStatus.SENT,
                at=self._clock(),
            )
        ]
