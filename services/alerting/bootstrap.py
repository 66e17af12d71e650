"""The composition root: ``bootstrap(settings)`` wires the alerting service; tests pass fakes instead.

Nothing is built at import time. ``AlertingService`` is what entrypoints (CLI,
consumer, scheduler, the API and the console) call: each method reads the
clock once, runs one service-layer function and updates the metrics. Methods
taking a ``User`` apply the access rules (``domain.access``); the others are for
trusted callers (the consumer, the scheduler, operators' CLI commands).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.adapters.calendar import ChineseWorkdayCalendar
from services.alerting.adapters.channel_messages import MessageContext
from services.alerting.adapters.channel_notifier import ChannelNotifier, SmtpOptions
from services.alerting.adapters.channels_file import load_channels
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.evidence_reader import KafkaEvidenceReader
from services.alerting.adapters.leaders import StaticLeadersDirectory, load_leaders_file
from services.alerting.adapters.metrics import AlertingMetrics
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.adapters.policy_file import load_policy
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.domain.access import User
from services.alerting.domain.accounts import ApiToken, CaseRead, ReadChannel
from services.alerting.domain.alerts import Alert
from services.alerting.domain.case import Case
from services.alerting.domain.commands import CreateSilence, ExpireSilence, TakeAction
from services.alerting.domain.deadlines import Deadlines, WorkdayCalendar
from services.alerting.domain.escalation import EscalationStep
from services.alerting.domain.history import ChainStatus, HistoryEntry
from services.alerting.domain.notifications import DeliveryStatus, final_attempts
from services.alerting.domain.policy import AlertingPolicy
from services.alerting.domain.resolutions import RuleOutcomes
from services.alerting.domain.silences import Silence
from services.alerting.domain.summary import CaseSummary
from services.alerting.domain.workflow import CaseState
from services.alerting.service_layer import (
    accounts,
    alerts,
    audit,
    audit_export,
    cases,
    desk,
    escalations,
    reports,
    silences,
)
from services.alerting.service_layer.ports import (
    AttachmentReader,
    EvidenceSource,
    LeadersDirectory,
    Notifier,
    PasswordHasher,
)
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork, InboxQuery


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


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
    hasher: PasswordHasher
    new_secret: Callable[[], str]
    session_lifetime: timedelta
    export_sources: audit_export.ExportSources
    export_key: bytes | None

    def for_another_thread(self) -> AlertingService:
        """The same service on its own unit of work (one per request or thread; never shared)."""
        return replace(self, uow=self.uow.for_another_thread())

    def ping(self) -> None:
        """Raise unless the case database answers (``/healthz``)."""
        self.uow.ping()

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
        return self._take_action(command, check=None)

    def act(self, user: User, command: TakeAction) -> tuple[Case, HistoryEntry]:
        """``command`` on behalf of ``user``: refused unless the case is in scope and the role allows it."""
        return self._take_action(
            replace(command, actor=user.username),
            check=lambda case: desk.check_may_act(user, case, command.action),
        )

    def _take_action(
        self, command: TakeAction, *, check: Callable[[Case], None] | None
    ) -> tuple[Case, HistoryEntry]:
        case, entry = cases.take_action(
            command, self.uow, deadlines=self.deadlines, now=self.clock(), check=check
        )
        if entry.to_state is CaseState.CLOSED:
            self.metrics.time_to_close.observe((entry.at - case.opened_at).total_seconds())
        return case, entry

    def inbox_for(self, user: User, query: InboxQuery) -> list[Case]:
        return desk.inbox(self.uow, user, query)

    def case_file(self, user: User, case_id: str, channel: ReadChannel) -> desk.CaseFile:
        return desk.case_file(self.uow, user, case_id, channel=channel, now=self.clock())

    def case_history(
        self, user: User, case_id: str, channel: ReadChannel
    ) -> tuple[list[HistoryEntry], ChainStatus]:
        return desk.case_history(self.uow, user, case_id, channel=channel, now=self.clock())

    def summary_for(self, user: User) -> CaseSummary:
        return desk.summary(self.uow, user)

    def attachment_name(self, user: User, case_id: str, sha256: str) -> str:
        return desk.attachment_on_case(self.uow, user, case_id, sha256)

    def case_reads(self, *, case_id: str | None = None, limit: int = 200) -> list[CaseRead]:
        with self.uow:
            return self.uow.access_log.reads(case_id=case_id, limit=limit)

    def add_user(self, command: accounts.NewUser) -> User:
        return accounts.add_user(command, self.uow, hasher=self.hasher, new_id=self.new_id)

    def users(self) -> list[User]:
        with self.uow:
            return self.uow.accounts.users()

    def issue_token(self, username: str, name: str) -> tuple[str, ApiToken]:
        return accounts.issue_token(
            self.uow,
            username,
            name,
            now=self.clock(),
            new_id=self.new_id,
            new_secret=self.new_secret,
        )

    def authenticate(self, username: str, password: str) -> User:
        return accounts.authenticate(self.uow, username, password, hasher=self.hasher)

    def user_for_token(self, secret: str) -> User:
        return accounts.user_for_token(self.uow, secret)

    def start_session(self, user: User) -> str:
        return accounts.start_session(
            self.uow,
            user,
            now=self.clock(),
            lifetime=self.session_lifetime,
            new_secret=self.new_secret,
        )

    def user_for_session(self, session_id: str) -> User:
        return accounts.user_for_session(self.uow, session_id, now=self.clock())

    def end_session(self, session_id: str) -> None:
        accounts.end_session(self.uow, session_id)

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
        self.metrics.count_deliveries(
            (attempt.kind, attempt.status is DeliveryStatus.SENT)
            for delivery in deliveries
            for attempt in final_attempts(delivery.attempts)
        )
        return deliveries

    def verify_histories(self) -> audit.AuditResult:
        return audit.verify_histories(self.uow)

    def export_case(
        self,
        case_id: str,
        *,
        exporter: str,
        lookback: timedelta = audit_export.DEFAULT_EVIDENCE_LOOKBACK,
    ) -> audit_export.CaseExport:
        """The case's audit bundle, signed when an export key is configured (trusted callers)."""
        return audit_export.export_case(
            self.uow,
            case_id,
            sources=self.export_sources,
            exported_at=self.clock(),
            exporter=exporter,
            lookback=lookback,
            signing_key=self.export_key,
        )

    def export_for(self, user: User, case_id: str, channel: ReadChannel) -> audit_export.CaseExport:
        """The audit bundle for an auditor or administrator who sees the case; the read is logged."""
        desk.record_export(self.uow, user, case_id, channel=channel, now=self.clock())
        return self.export_case(case_id, exporter=user.username)

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
    hasher: PasswordHasher | None = None,
    evidence: EvidenceSource | None = None,
    attachments: AttachmentReader | None = None,
    clock: Callable[[], datetime] = _utc_now,
    new_id: Callable[[], str] = _new_id,
    new_secret: Callable[[], str] = _new_secret,
) -> AlertingService:
    """Wire the service from ``settings``; every keyword replaces one real adapter (tests pass fakes).

    Without a keyword, the policy, leaders and channels files come from the settings
    (``alerting_policy_file``, ``alerting_leaders_file``, ``alerting_channels_file``); audit
    bundles read evidence from the raw topics and attachments from ``alerting_attachments_dir``,
    and are signed with ``audit_export_key`` when it is set.
    """
    if uow is None:
        uow = SqlAlchemyUnitOfWork(
            new_session_factory(create_database_engine(settings.database_url))
        )
    policy = policy or load_policy(
        _configured(settings, settings.alerting_policy_file), timezone=settings.timezone
    )
    if leaders is None:
        leaders_file = _configured(settings, settings.alerting_leaders_file)
        leaders = load_leaders_file(leaders_file) if leaders_file else StaticLeadersDirectory()
    return AlertingService(
        uow=uow,
        policy=policy,
        deadlines=Deadlines(policy.deadlines, calendar or ChineseWorkdayCalendar()),
        leaders=leaders,
        notifier=notifier or configured_notifier(settings, clock),
        metrics=AlertingMetrics(registry or new_registry()),
        clock=clock,
        new_id=new_id,
        hasher=hasher or Argon2Hasher(),
        new_secret=new_secret,
        session_lifetime=timedelta(hours=settings.alerting_session_hours),
        export_sources=audit_export.ExportSources(
            evidence=evidence or KafkaEvidenceReader(settings),
            attachments=attachments
            or FileAttachmentStore(settings.resolve(settings.alerting_attachments_dir)),
        ),
        export_key=(
            settings.audit_export_key.get_secret_value().encode()
            if settings.audit_export_key
            else None
        ),
    )


def configured_notifier(settings: Settings, clock: Callable[[], datetime]) -> Notifier:
    """The channels in ``alerting_channels_file``; without one, reminders are only logged."""
    channels_file = _configured(settings, settings.alerting_channels_file)
    if channels_file is None:
        return LogNotifier(clock)
    password = settings.alerting_smtp_password
    return ChannelNotifier(
        load_channels(channels_file),
        context=MessageContext(ZoneInfo(settings.timezone), settings.alerting_public_url),
        smtp=SmtpOptions(
            host=settings.alerting_smtp_host,
            port=settings.alerting_smtp_port,
            sender=settings.alerting_smtp_sender,
            starttls=settings.alerting_smtp_starttls,
            username=settings.alerting_smtp_username,
            password=password.get_secret_value() if password else None,
        ),
        clock=clock,
    )


def _configured(settings: Settings, path: Path | None) -> Path | None:
    return None if path is None else settings.resolve(path)
