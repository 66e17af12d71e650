"""The composition root: ``bootstrap(settings)`` wires the alerting service; tests pass fakes instead.

Nothing is built at import time. ``AlertingService`` is what entrypoints (CLI,
consumer, scheduler, later the API and console) call: each method reads the
clock once, runs one service-layer function and updates the metrics.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.alerting.adapters.calendar import ChineseWorkdayCalendar
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.leaders import StaticLeadersDirectory
from services.alerting.adapters.metrics import AlertingMetrics
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.adapters.policy_file import load_policy
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.domain.alerts import Alert
from services.alerting.domain.case import Case
from services.alerting.domain.commands import CreateSilence, ExpireSilence, TakeAction
from services.alerting.domain.deadlines import Deadlines, WorkdayCalendar
from services.alerting.domain.escalation import EscalationStep
from services.alerting.domain.history import HistoryEntry
from services.alerting.domain.policy import AlertingPolicy
from services.alerting.domain.resolutions import RuleOutcomes
from services.alerting.domain.silences import Silence
from services.alerting.domain.workflow import CaseState
from services.alerting.service_layer import alerts, audit, cases, escalations, reports, silences
from services.alerting.service_layer.ports import LeadersDirectory, Notifier
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork, InboxQuery


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class AlertingService:
    uow: AbstractUnitOfWork
    policy: AlertingPolicy
    deadlines: Deadlines
    leaders: LeadersDirectory
    notifier: Notifier
    metrics: AlertingMetrics
    clock: Callable[[], datetime]
    new_id: Callable[[], str]

    def ingest(self, batch: Sequence[Alert]) -> alerts.IngestReport:
        report = alerts.ingest_alerts(
            batch,
            self.uow,
            grouping=self.policy.grouping,
            deadlines=self.deadlines,
            leaders=self.leaders,
            now=self.clock(),
            new_id=self.new_id,
        )
        for outcome, count in report.outcomes.items():
            self.metrics.count_alerts(outcome.value, count)
        return report

    def take_action(self, command: TakeAction) -> tuple[Case, HistoryEntry]:
        case, entry = cases.take_action(
            command, self.uow, deadlines=self.deadlines, now=self.clock()
        )
        if entry.to_state is CaseState.CLOSED:
            self.metrics.time_to_close.observe((entry.at - case.opened_at).total_seconds())
        return case, entry

    def case(self, case_id: str) -> Case:
        with self.uow:
            return cases.get_case(self.uow, case_id)

    def history(self, case_id: str) -> list[HistoryEntry]:
        with self.uow:
            cases.get_case(self.uow, case_id)
            return self.uow.cases.history(case_id)

    def evidence(self, case_id: str) -> list[Alert]:
        with self.uow:
            cases.get_case(self.uow, case_id)
            return self.uow.alerts.for_case(case_id)

    def inbox(self, query: InboxQuery) -> list[Case]:
        with self.uow:
            return self.uow.cases.inbox(query)

    def create_silence(self, command: CreateSilence) -> Silence:
        return silences.create_silence(command, self.uow, now=self.clock(), new_id=self.new_id)

    def expire_silence(self, command: ExpireSilence) -> Silence:
        return silences.expire_silence(command, self.uow, now=self.clock())

    def silences(self) -> list[Silence]:
        with self.uow:
            return self.uow.silences.list()

    def escalate(self) -> list[EscalationStep]:
        return escalations.escalate_overdue(
            self.uow, policy=self.policy.escalation, deadlines=self.deadlines, now=self.clock()
        )

    def dispatch_notifications(self) -> list[escalations.Delivery]:
        deliveries = escalations.dispatch_notifications(self.uow, self.notifier, now=self.clock())
        self.metrics.count_deliveries((self.notifier.channel, d.delivered) for d in deliveries)
        return deliveries

    def verify_histories(self) -> audit.AuditResult:
        return audit.verify_histories(self.uow)

    def refresh_case_gauges(self) -> reports.CaseCounts:
        counts = reports.case_counts(self.uow, now=self.clock())
        self.metrics.set_case_counts(counts.by_state_and_severity, counts.overdue)
        return counts

    def outcomes_by_rule(self) -> list[RuleOutcomes]:
        return reports.outcomes_by_rule(self.uow)


def bootstrap(
    settings: Settings,
    *,
    uow: AbstractUnitOfWork | None = None,
    policy: AlertingPolicy | None = None,
    calendar: WorkdayCalendar | None = None,
    leaders: LeadersDirectory | None = None,
    notifier: Notifier | None = None,
    registry: CollectorRegistry | None = None,
    clock: Callable[[], datetime] = _utc_now,
    new_id: Callable[[], str] = _new_id,
) -> AlertingService:
    """Wire the service from ``settings``; every keyword replaces one real adapter (tests pass fakes)."""
    if uow is None:
        uow = SqlAlchemyUnitOfWork(
            new_session_factory(create_database_engine(settings.database_url))
        )
    policy = policy or load_policy(None, timezone=settings.timezone)
    return AlertingService(
        uow=uow,
        policy=policy,
        deadlines=Deadlines(policy.deadlines, calendar or ChineseWorkdayCalendar()),
        leaders=leaders or StaticLeadersDirectory(),
        notifier=notifier or LogNotifier(),
        metrics=AlertingMetrics(registry or new_registry()),
        clock=clock,
        new_id=new_id,
    )
