"""The notifier used until a real channel (webhook, DingTalk, WeCom, email) is configured: it logs."""

from __future__ import annotations

import structlog

from services.alerting.domain.notifications import Notification

log = structlog.get_logger(__name__)


class LogNotifier:
    """Writes each notification to the log and remembers its key (what tests assert on)."""

    channel = "log"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
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
