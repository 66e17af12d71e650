"""The alerting service's Prometheus metrics, on a registry of its own (``qinglian.metrics.new_registry``).

Every counter starts at zero for each label value the service knows in advance
(consumer results, notification channels and results): a dashboard or alerting
rule asking "how many failed?" then gets 0 rather than no series at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.alerting.adapters.channels_file import ChannelKind
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.domain.alerts import Severity
from services.alerting.domain.workflow import CaseState
from services.alerting.service_layer.alerts import Outcome

HOUR = 3600.0
DAY = 24 * HOUR
TIME_TO_CLOSE_BUCKETS = (
    HOUR,
    4 * HOUR,
    DAY,
    2 * DAY,
    5 * DAY,
    10 * DAY,
    20 * DAY,
    30 * DAY,
    60 * DAY,
    90 * DAY,
    180 * DAY,
)
CONSUMER_RESULTS = (*(outcome.value for outcome in Outcome), "invalid", "failed")
NOTIFICATION_CHANNELS = (*(kind.value for kind in ChannelKind), LogNotifier.channel)
DELIVERY_RESULTS = ("sent", "failed")


class AlertingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.alerts_consumed = Counter(
            "qinglian_alerting_alerts_consumed_total",
            "Alerts read from the alerts topic, by what became of them "
            "(opened_case, added_to_case, reopened_case, suppressed, duplicate, invalid, failed).",
            ["result"],
            registry=registry,
        )
        self.cases = Gauge(
            "qinglian_alerting_cases",
            "Cases in the database by workflow state and severity.",
            ["state", "severity"],
            registry=registry,
        )
        self.cases_overdue = Gauge(
            "qinglian_alerting_cases_overdue",
            "Open cases past their stage deadline.",
            registry=registry,
        )
        self.time_to_close = Histogram(
            "qinglian_alerting_time_to_close_seconds",
            "From a case's opening to its closing (已办结) after review.",
            buckets=TIME_TO_CLOSE_BUCKETS,
            registry=registry,
        )
        self.notifications = Counter(
            "qinglian_alerting_notifications_total",
            "Notification deliveries by channel and result (sent, failed).",
            ["channel", "result"],
            registry=registry,
        )
        for result in CONSUMER_RESULTS:
            self.alerts_consumed.labels(result=result)
        for channel in NOTIFICATION_CHANNELS:
            for result in DELIVERY_RESULTS:
                self.notifications.labels(channel=channel, result=result)

    def count_alerts(self, result: str, amount: int = 1) -> None:
        if amount:
            self.alerts_consumed.labels(result=result).inc(amount)

    def set_case_counts(self, counts: dict[tuple[CaseState, Severity], int], overdue: int) -> None:
        for state in CaseState:
            for severity in Severity:
                self.cases.labels(state=state.value, severity=severity.value).set(
                    counts.get((state, severity), 0)
                )
        self.cases_overdue.set(overdue)

    def count_deliveries(self, deliveries: Iterable[tuple[str, bool]]) -> None:
        for channel, delivered in deliveries:
            self.notifications.labels(
                channel=channel, result="sent" if delivered else "failed"
            ).inc()
