"""The scheduler loop of `qinglian alerting serve`: escalate overdue cases, send notifications, refresh gauges.

It holds no state of its own: what was decided is in the escalation log and what
was sent is in the outbox and the delivery log, all keyed so that a pass after a
restart (or a second scheduler) neither repeats a reminder nor sends one twice.
A pass that meets a database outage is logged and the next one tries again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import SQLAlchemyError

from services.alerting.bootstrap import AlertingService
from services.alerting.errors import AlertingError

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PassReport:
    reminders: int = 0
    delivered: int = 0
    failed: int = 0


def scheduler_pass(service: AlertingService) -> PassReport:
    steps = service.escalate()
    deliveries = service.dispatch_notifications()
    service.refresh_case_gauges()
    delivered = sum(1 for delivery in deliveries if delivery.delivered)
    report = PassReport(len(steps), delivered, len(deliveries) - delivered)
    if steps or deliveries:
        log.info(
            "scheduler pass",
            reminders=report.reminders,
            delivered=report.delivered,
            failed=report.failed,
        )
    return report


def run_scheduler(service: AlertingService, *, stop: threading.Event, interval: float) -> None:
    """Pass every ``interval`` seconds until ``stop`` is set; the first pass runs at once."""
    while not stop.is_set():
        try:
            scheduler_pass(service)
        except (SQLAlchemyError, AlertingError) as exc:
            log.warning("scheduler pass failed; retrying next interval", error=str(exc))
        stop.wait(interval)
