"""The scheduler loop: one pass escalates, sends and refreshes gauges; a failing pass does not stop it."""

from __future__ import annotations

import threading
from datetime import datetime

from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.bootstrap import AlertingService
from services.alerting.entrypoints.scheduler import PassReport, run_scheduler, scheduler_pass
from services.alerting.errors import DatabaseUnavailable
from services.alerting.testing import ManualClock, sample_alert


def test_a_pass_records_sends_and_counts(
    service: AlertingService, clock: ManualClock, notifier: LogNotifier
) -> None:
    service.ingest([sample_alert()])
    clock.now = datetime.fromisoformat("2026-10-08T09:00:00+08:00")
    assert scheduler_pass(service) == PassReport(reminders=1, delivered=1, failed=0)
    assert scheduler_pass(service) == PassReport(), "nothing twice"
    assert len(notifier.sent) == 1
    assert service.metrics.registry.get_sample_value("qinglian_alerting_cases_overdue") == 1


class FlakyService:
    """Fails the first pass the way a database outage does, then stops the loop."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop, self.passes = stop, 0

    def escalate(self) -> list[object]:
        self.passes += 1
        if self.passes == 1:
            raise DatabaseUnavailable("database away")
        self.stop.set()
        return []

    def dispatch_notifications(self) -> list[object]:
        return []

    def refresh_case_gauges(self) -> None:
        return None


def test_the_loop_survives_a_failed_pass() -> None:
    stop = threading.Event()
    flaky = FlakyService(stop)
    run_scheduler(flaky, stop=stop, interval=0.01)  # type: ignore[arg-type]
    assert flaky.passes == 2
