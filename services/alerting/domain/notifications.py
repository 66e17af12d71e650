"""Notifications waiting in the outbox, and the reminder text of an escalation step.

The outbox row is written in the same transaction as the escalation step it
announces; its unique key (the step's key) is what stops a restarted or
duplicated scheduler from sending a reminder twice. Each try to deliver it on a
channel is a ``DeliveryAttempt`` in the delivery log; a channel that already
delivered a notification is not tried again when another channel failed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.alerting.domain.alerts import SEVERITY_ZH
from services.alerting.domain.case import Case
from services.alerting.domain.escalation import EscalationStep, Recipient


class NotificationStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class DeliveryStatus(enum.Enum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One try on one channel: ``channel`` is the configured name, ``kind`` its type, ``target`` where it went."""

    notification_key: str
    case_id: str
    channel: str
    kind: str
    target: str
    attempt: int
    status: DeliveryStatus
    at: datetime
    error: str | None = None


def final_attempts(attempts: Sequence[DeliveryAttempt]) -> list[DeliveryAttempt]:
    """The last attempt on each channel, in the order the channels were first tried."""
    last: dict[str, DeliveryAttempt] = {}
    for attempt in attempts:
        last[attempt.channel] = attempt
    return list(last.values())


@dataclass
class Notification:
    key: str
    case_id: str
    recipient: Recipient
    payload: dict[str, Any]
    created_at: datetime
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    channel: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


def escalation_notice(case: Case, step: EscalationStep, now: datetime) -> Notification:
    deadline = case.deadline_at.isoformat() if case.deadline_at else None
    reminder_zh = "督办提醒" if step.slot == 0 else f"督办第{step.slot + 1}次提醒"
    return Notification(
        key=step.key,
        case_id=case.id,
        recipient=step.recipient,
        created_at=now,
        payload={
            "title_zh": f"【{reminder_zh}】{SEVERITY_ZH[case.severity]}色预警案件逾期：{case.title_zh}",
            "title_en": f"Overdue {case.severity.value} case (reminder {step.slot + 1}): {case.title_en}",
            "case_id": case.id,
            "school_id": case.key.school_id,
            "district_id": case.district_id,
            "rule_id": case.key.rule_id,
            "state": case.state.value,
            "state_zh": case.state.label_zh,
            "severity": case.severity.value,
            "deadline_at": deadline,
            "level": step.level,
            "role": step.recipient.role,
        },
    )
