"""The escalation scheduler's two jobs: record due reminders (with their outbox rows), then send them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.escalation import EscalationPolicy, EscalationStep, due_escalations
from services.alerting.domain.notifications import (
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotificationStatus,
    escalation_notice,
    final_attempts,
)
from services.alerting.service_layer.ports import Notifier
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork

MAX_DELIVERY_ATTEMPTS = 5


def escalate_overdue(
    uow: AbstractUnitOfWork,
    *,
    policy: EscalationPolicy,
    deadlines: Deadlines,
    now: datetime,
    page_size: int = 500,
) -> list[EscalationStep]:
    """Record every reminder due at ``now``: a history entry, a log row and an outbox row, per page of cases.

    Running it again at the same ``now`` (or after a crash) records nothing new: the
    step keys are already in the log, and the outbox key is unique in storage.
    """
    recorded: list[EscalationStep] = []
    after: tuple[datetime, str] | None = None
    while True:
        with uow:
            cases = uow.cases.overdue(now, after=after, limit=page_size)
            if not cases:
                return recorded
            sent = uow.escalations.sent_keys([case.id for case in cases])
            for case in cases:
                for step in due_escalations(
                    case,
                    sent_keys=sent.get(case.id, set()),
                    now=now,
                    policy=policy,
                    deadlines=deadlines,
                ):
                    case.record_escalation(now=now, details=_step_details(step))
                    uow.escalations.add(step, escalation_notice(case, step, now), now)
                    recorded.append(step)
            uow.commit()
            after = (cast(datetime, cases[-1].deadline_at), cases[-1].id)


def _step_details(step: EscalationStep) -> dict[str, object]:
    return {
        "key": step.key,
        "level": step.level,
        "slot": step.slot,
        "role": step.recipient.role,
        "audience": step.recipient.audience.value,
        "unit_id": step.recipient.unit_id,
        "due_at": step.due_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class Delivery:
    notification: Notification
    delivered: bool
    attempts: tuple[DeliveryAttempt, ...] = ()


def dispatch_notifications(
    uow: AbstractUnitOfWork, notifier: Notifier, *, now: datetime, limit: int = 100
) -> list[Delivery]:
    """Send pending outbox rows; a failure is retried on the next run until MAX_DELIVERY_ATTEMPTS.

    Nothing is held open in the database while the notifier talks to the network
    (retries with backoff take seconds): the pending rows are read in one
    transaction, sent, then the outcomes and the delivery log are written in another.
    """
    with uow:
        pending = uow.escalations.pending_notifications(limit)
        delivered = uow.deliveries.delivered_channels([n.key for n in pending])
    sent = [(n, notifier.send(n, delivered=delivered.get(n.key, frozenset()))) for n in pending]
    deliveries: list[Delivery] = []
    with uow:
        for notification, attempts in sent:
            failures = [a for a in final_attempts(attempts) if a.status is DeliveryStatus.FAILED]
            notification.attempts += 1
            notification.channel = notifier.channel
            if failures:
                notification.last_error = "; ".join(f"{a.channel}: {a.error}" for a in failures)
                if notification.attempts >= MAX_DELIVERY_ATTEMPTS:
                    notification.status = NotificationStatus.FAILED
            else:
                notification.status = NotificationStatus.SENT
                notification.sent_at = now
            uow.deliveries.add(attempts)
            uow.escalations.update_notification(notification)
            deliveries.append(Delivery(notification, not failures, tuple(attempts)))
        uow.commit()
    return deliveries
