"""The storage ports: repositories and the unit of work that commits them together.

Two implementations pass the same tests: in memory (``adapters.memory``, for
unit tests and dry runs) and SQLAlchemy (``adapters.sqlalchemy_uow``, for
PostgreSQL and SQLite). Cases handed out by a repository are tracked, and
``commit`` stores everything added to them (history entries, alerts) at once.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from services.alerting.domain.access import User
from services.alerting.domain.accounts import ApiToken, CaseRead, LoginSession
from services.alerting.domain.alerts import Alert, CaseKey, RiskArea, Severity
from services.alerting.domain.case import Case
from services.alerting.domain.escalation import EscalationStep
from services.alerting.domain.history import HistoryEntry
from services.alerting.domain.notifications import DeliveryAttempt, Notification
from services.alerting.domain.silences import Silence
from services.alerting.domain.summary import CountRow
from services.alerting.domain.workflow import OPEN_STATES, CaseState, Resolution


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cases a user may see: one district, one school, or everything (``district_id`` None).

    School-level users never see cases routed to the district (conflict of interest).
    """

    district_id: str | None = None
    school_id: str | None = None

    @property
    def sees_routed_cases(self) -> bool:
        return self.school_id is None

    @classmethod
    def of(cls, user: User) -> Scope:
        return cls(district_id=user.district_id, school_id=user.school_id)


@dataclass(frozen=True, slots=True)
class InboxQuery:
    scope: Scope = field(default_factory=Scope)
    states: frozenset[CaseState] = OPEN_STATES
    severities: frozenset[Severity] | None = None
    risk_areas: frozenset[RiskArea] | None = None
    school_id: str | None = None
    overdue_at: datetime | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ChainHead:
    case_id: str
    head_hash: str
    entry_count: int


class CaseRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, case: Case) -> None: ...

    @abc.abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abc.abstractmethod
    def latest_for_keys(self, keys: Collection[CaseKey]) -> dict[CaseKey, Case]:
        """For each key, the most recently opened case with that key (keys without a case are absent)."""

    @abc.abstractmethod
    def overdue(
        self, now: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Case]:
        """Open cases whose deadline has passed, by (deadline, id), starting after ``after``."""

    @abc.abstractmethod
    def inbox(self, query: InboxQuery) -> list[Case]:
        """Cases in scope matching the filters, most severe first, then earliest deadline."""

    @abc.abstractmethod
    def history(self, case_id: str) -> list[HistoryEntry]: ...

    @abc.abstractmethod
    def chain_heads(self, *, after: str | None, limit: int) -> list[ChainHead]:
        """Every case's recorded chain head, by case id, starting after ``after``."""

    @abc.abstractmethod
    def histories(self, case_ids: Collection[str]) -> dict[str, list[HistoryEntry]]:
        """Stored history of each case, in stored sequence order."""

    @abc.abstractmethod
    def count_by_state_and_severity(self) -> dict[tuple[CaseState, Severity], int]: ...

    @abc.abstractmethod
    def count_overdue(self, now: datetime) -> int: ...

    @abc.abstractmethod
    def resolutions_by_rule(self) -> list[tuple[str, Resolution, int]]: ...

    @abc.abstractmethod
    def summary_counts(self, scope: Scope) -> list[CountRow]:
        """Cases in scope counted by (risk area, school, rule, state, severity)."""

    @abc.abstractmethod
    def close_durations(self, scope: Scope, *, limit: int) -> list[timedelta]:
        """Opening to closing of the ``limit`` most recently closed (已办结) cases in scope."""


class AlertRepository(abc.ABC):
    """Every alert received, exactly once per alert id: on a case, or suppressed by a silence."""

    @abc.abstractmethod
    def known_ids(self, alert_ids: Collection[str]) -> set[str]: ...

    @abc.abstractmethod
    def add_suppressed(self, alert: Alert, silence_id: str, received_at: datetime) -> None: ...

    @abc.abstractmethod
    def for_case(self, case_id: str) -> list[Alert]: ...

    @abc.abstractmethod
    def payloads_for_case(self, case_id: str) -> list[dict[str, Any]]:
        """The case's alerts as stored (contract ``alerts/alert.v1`` data), in ``for_case`` order."""

    @abc.abstractmethod
    def suppressed_by(self, silence_id: str) -> list[Alert]: ...


class SilenceRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, silence: Silence) -> None: ...

    @abc.abstractmethod
    def get(self, silence_id: str) -> Silence | None: ...

    @abc.abstractmethod
    def replace(self, silence: Silence) -> None: ...

    @abc.abstractmethod
    def active(self, now: datetime) -> list[Silence]: ...

    @abc.abstractmethod
    def list(self) -> list[Silence]:
        """All silences, newest first."""


class EscalationRepository(abc.ABC):
    """The escalation log and the notification outbox, written together."""

    @abc.abstractmethod
    def sent_keys(self, case_ids: Collection[str]) -> dict[str, set[str]]: ...

    @abc.abstractmethod
    def add(
        self, step: EscalationStep, notification: Notification, recorded_at: datetime
    ) -> None: ...

    @abc.abstractmethod
    def pending_notifications(self, limit: int) -> list[Notification]: ...

    @abc.abstractmethod
    def update_notification(self, notification: Notification) -> None: ...


class DeliveryLogRepository(abc.ABC):
    """Every try to deliver a notification on a channel, failed ones included."""

    @abc.abstractmethod
    def add(self, attempts: Sequence[DeliveryAttempt]) -> None: ...

    @abc.abstractmethod
    def delivered_channels(self, keys: Collection[str]) -> dict[str, set[str]]:
        """For each notification key, the channels that delivered it."""

    @abc.abstractmethod
    def for_case(self, case_id: str) -> list[DeliveryAttempt]:
        """The case's delivery attempts, oldest first."""


class AccountRepository(abc.ABC):
    """Users with their password hashes, API tokens and console sessions."""

    @abc.abstractmethod
    def add_user(self, user: User, password_hash: str) -> None: ...

    @abc.abstractmethod
    def user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    def user_named(self, username: str) -> User | None: ...

    @abc.abstractmethod
    def users(self) -> list[User]:
        """Every user, by user name."""

    @abc.abstractmethod
    def password_hash(self, user_id: str) -> str | None: ...

    @abc.abstractmethod
    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    @abc.abstractmethod
    def add_token(self, token: ApiToken) -> None: ...

    @abc.abstractmethod
    def token(self, digest: str) -> ApiToken | None: ...

    @abc.abstractmethod
    def tokens(self, user_id: str) -> list[ApiToken]: ...

    @abc.abstractmethod
    def add_login_session(self, session: LoginSession) -> None: ...

    @abc.abstractmethod
    def login_session(self, digest: str) -> LoginSession | None: ...

    @abc.abstractmethod
    def remove_login_session(self, digest: str) -> None: ...


class AccessLogRepository(abc.ABC):
    """Who read which case's personal data, when and how."""

    @abc.abstractmethod
    def add(self, read: CaseRead) -> None: ...

    @abc.abstractmethod
    def reads(self, *, case_id: str | None, limit: int) -> list[CaseRead]:
        """The latest reads (of one case, or of any), newest first."""


class AbstractUnitOfWork(abc.ABC):
    cases: CaseRepository
    alerts: AlertRepository
    silences: SilenceRepository
    escalations: EscalationRepository
    deliveries: DeliveryLogRepository
    accounts: AccountRepository
    access_log: AccessLogRepository

    @abc.abstractmethod
    def for_another_thread(self) -> AbstractUnitOfWork:
        """A unit of work on the same storage for another thread (one is never shared between threads)."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise unless the storage answers (outside any transaction of this unit of work)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...
