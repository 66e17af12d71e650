"""The storage ports: repositories and the unit of work that commits them together.

Two implementations pass the same tests: in memory (``adapters.memory``, for
unit tests and dry runs) and SQLAlchemy (``adapters.sqlalchemy_uow``, for
PostgreSQL and SQLite). Cases handed out by a repository are tracked, and
``commit`` stores everything added to them (history entries, alerts) at once.
"""

from __future__ import annotations

import abc
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self

from services.alerting.domain.alerts import Alert, CaseKey, RiskArea, Severity
from services.alerting.domain.case import Case
from services.alerting.domain.escalation import EscalationStep
from services.alerting.domain.history import HistoryEntry
from services.alerting.domain.notifications import Notification
from services.alerting.domain.silences import Silence
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


class AlertRepository(abc.ABC):
    """Every alert received, exactly once per alert id: on a case, or suppressed by a silence."""

    @abc.abstractmethod
    def known_ids(self, alert_ids: Collection[str]) -> set[str]: ...

    @abc.abstractmethod
    def add_suppressed(self, alert: Alert, silence_id: str, received_at: datetime) -> None: ...

    @abc.abstractmethod
    def for_case(self, case_id: str) -> list[Alert]: ...

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


class AbstractUnitOfWork(abc.ABC):
    cases: CaseRepository
    alerts: AlertRepository
    silences: SilenceRepository
    escalations: EscalationRepository

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
