"""Storage in memory: the unit tests' stand-in for the database, with the same transaction semantics.

Each ``with uow:`` works on a private copy of the committed state; ``commit``
applies its inserts and updates to the shared state, and anything not committed
is dropped, as in a database. Unique keys (alert id, escalation key, a case's
history sequence number) are enforced at commit against what others committed.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from services.alerting.adapters.alert_codec import alert_to_data
from services.alerting.adapters.memory_accounts import (
    AccountState,
    MemoryAccessLogRepository,
    MemoryAccountRepository,
    MemoryDeliveryLogRepository,
    UniqueKeyViolation,
)
from services.alerting.domain.alerts import Alert, CaseKey, RiskArea, Severity, severity_rank
from services.alerting.domain.case import Case
from services.alerting.domain.escalation import EscalationStep
from services.alerting.domain.history import HistoryEntry
from services.alerting.domain.notifications import Notification, NotificationStatus
from services.alerting.domain.silences import Silence
from services.alerting.domain.summary import CountRow
from services.alerting.domain.workflow import CaseState, Resolution
from services.alerting.service_layer.unit_of_work import (
    AbstractUnitOfWork,
    AlertRepository,
    CaseRepository,
    ChainHead,
    EscalationRepository,
    InboxQuery,
    Scope,
    SilenceRepository,
)


@dataclass
class StoredAlert:
    alert: Alert
    case_id: str | None
    silence_id: str | None
    received_at: datetime


@dataclass
class MemoryState:
    cases: dict[str, Case] = field(default_factory=dict)
    history: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    alerts: dict[str, StoredAlert] = field(default_factory=dict)
    silences: dict[str, Silence] = field(default_factory=dict)
    escalations: dict[str, EscalationStep] = field(default_factory=dict)
    notifications: dict[str, Notification] = field(default_factory=dict)
    accounts: AccountState = field(default_factory=AccountState)


class MemoryCaseRepository(CaseRepository):
    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self.seen: dict[str, Case] = {}

    def _track(self, case: Case) -> Case:
        return self.seen.setdefault(case.id, case)

    def add(self, case: Case) -> None:
        self._state.cases[case.id] = case
        self._track(case)

    def get(self, case_id: str) -> Case | None:
        case = self._state.cases.get(case_id)
        return None if case is None else self._track(case)

    def latest_for_keys(self, keys: Collection[CaseKey]) -> dict[CaseKey, Case]:
        latest: dict[CaseKey, Case] = {}
        for case in sorted(self._state.cases.values(), key=lambda c: (c.opened_at, c.id)):
            if case.key in keys:
                latest[case.key] = self._track(case)
        return latest

    def overdue(
        self, now: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Case]:
        due = sorted(
            (
                case
                for case in self._state.cases.values()
                if case.state.is_open and case.is_overdue(now)
            ),
            key=lambda case: (case.deadline_at, case.id),
        )
        if after is not None:
            due = [case for case in due if (case.deadline_at, case.id) > after]
        return [self._track(case) for case in due[:limit]]

    def inbox(self, query: InboxQuery) -> list[Case]:
        def wanted(case: Case) -> bool:
            return (
                _in_scope(query.scope, case)
                and case.state in query.states
                and (query.severities is None or case.severity in query.severities)
                and (query.risk_areas is None or case.risk_area in query.risk_areas)
                and (query.school_id is None or case.key.school_id == query.school_id)
                and (query.overdue_at is None or case.is_overdue(query.overdue_at))
            )

        def order(case: Case) -> tuple[int, bool, datetime, str]:
            no_deadline = case.deadline_at is None
            return (
                severity_rank(case.severity),
                no_deadline,
                case.deadline_at or case.opened_at,
                case.id,
            )

        matching = sorted(filter(wanted, self._state.cases.values()), key=order)
        return matching[query.offset : query.offset + query.limit]

    def history(self, case_id: str) -> list[HistoryEntry]:
        return list(self._state.history.get(case_id, []))

    def chain_heads(self, *, after: str | None, limit: int) -> list[ChainHead]:
        ids = sorted(case_id for case_id in self._state.cases if after is None or case_id > after)[
            :limit
        ]
        return [
            ChainHead(i, self._state.cases[i].chain_head, self._state.cases[i].history_count)
            for i in ids
        ]

    def histories(self, case_ids: Collection[str]) -> dict[str, list[HistoryEntry]]:
        return {case_id: self.history(case_id) for case_id in case_ids}

    def count_by_state_and_severity(self) -> dict[tuple[CaseState, Severity], int]:
        counts: dict[tuple[CaseState, Severity], int] = {}
        for case in self._state.cases.values():
            counts[case.state, case.severity] = counts.get((case.state, case.severity), 0) + 1
        return counts

    def count_overdue(self, now: datetime) -> int:
        return sum(
            1 for case in self._state.cases.values() if case.state.is_open and case.is_overdue(now)
        )

    def resolutions_by_rule(self) -> list[tuple[str, Resolution, int]]:
        counts: dict[tuple[str, Resolution], int] = {}
        for case in self._state.cases.values():
            if case.resolution is not None:
                key = (case.key.rule_id, case.resolution)
                counts[key] = counts.get(key, 0) + 1
        return [
            (rule_id, resolution, count)
            for (rule_id, resolution), count in sorted(counts.items(), key=str)
        ]

    def summary_counts(self, scope: Scope) -> list[CountRow]:
        counts: Counter[tuple[RiskArea, str | None, str, CaseState, Severity]] = Counter()
        for case in self._state.cases.values():
            if _in_scope(scope, case):
                counts[
                    case.risk_area, case.key.school_id, case.key.rule_id, case.state, case.severity
                ] += 1
        return [(*group, count) for group, count in counts.items()]

    def close_durations(self, scope: Scope, *, limit: int) -> list[timedelta]:
        closed = sorted(
            (
                case
                for case in self._state.cases.values()
                if _in_scope(scope, case) and case.state is CaseState.CLOSED and case.terminal_at
            ),
            key=lambda case: case.terminal_at or case.opened_at,
            reverse=True,
        )
        return [(case.terminal_at or case.opened_at) - case.opened_at for case in closed[:limit]]

    def store_pending(self) -> None:
        for case in self.seen.values():
            entries, received = case.drain_pending()
            self._state.history.setdefault(case.id, []).extend(entries)
            for item in received:
                if item.alert.alert_id in self._state.alerts:
                    raise UniqueKeyViolation(f"alert {item.alert.alert_id} is already stored")
                self._state.alerts[item.alert.alert_id] = StoredAlert(
                    item.alert, case.id, None, item.received_at
                )


def _in_scope(scope: Scope, case: Case) -> bool:
    return (
        (scope.district_id is None or case.district_id == scope.district_id)
        and (scope.school_id is None or case.key.school_id == scope.school_id)
        and (scope.sees_routed_cases or not case.routed_to_district)
    )


class MemoryAlertRepository(AlertRepository):
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def known_ids(self, alert_ids: Collection[str]) -> set[str]:
        return {alert_id for alert_id in alert_ids if alert_id in self._state.alerts}

    def add_suppressed(self, alert: Alert, silence_id: str, received_at: datetime) -> None:
        if alert.alert_id in self._state.alerts:
            raise UniqueKeyViolation(f"alert {alert.alert_id} is already stored")
        self._state.alerts[alert.alert_id] = StoredAlert(alert, None, silence_id, received_at)

    def for_case(self, case_id: str) -> list[Alert]:
        stored = [s for s in self._state.alerts.values() if s.case_id == case_id]
        return [
            s.alert for s in sorted(stored, key=lambda s: (s.alert.event_time, s.alert.alert_id))
        ]

    def payloads_for_case(self, case_id: str) -> list[dict[str, Any]]:
        return [alert_to_data(alert) for alert in self.for_case(case_id)]

    def suppressed_by(self, silence_id: str) -> list[Alert]:
        return [s.alert for s in self._state.alerts.values() if s.silence_id == silence_id]


class MemorySilenceRepository(SilenceRepository):
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, silence: Silence) -> None:
        self._state.silences[silence.id] = silence

    def get(self, silence_id: str) -> Silence | None:
        return self._state.silences.get(silence_id)

    def replace(self, silence: Silence) -> None:
        self._state.silences[silence.id] = silence

    def active(self, now: datetime) -> list[Silence]:
        return [silence for silence in self._state.silences.values() if silence.is_active(now)]

    def list(self) -> list[Silence]:
        return sorted(
            self._state.silences.values(), key=lambda s: (s.created_at, s.id), reverse=True
        )


class MemoryEscalationRepository(EscalationRepository):
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def sent_keys(self, case_ids: Collection[str]) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {}
        for step in self._state.escalations.values():
            if step.case_id in case_ids:
                keys.setdefault(step.case_id, set()).add(step.key)
        return keys

    def add(self, step: EscalationStep, notification: Notification, recorded_at: datetime) -> None:
        if step.key in self._state.escalations or notification.key in self._state.notifications:
            raise UniqueKeyViolation(f"escalation {step.key} is already recorded")
        self._state.escalations[step.key] = step
        self._state.notifications[notification.key] = notification

    def pending_notifications(self, limit: int) -> list[Notification]:
        pending = [
            n for n in self._state.notifications.values() if n.status is NotificationStatus.PENDING
        ]
        return sorted(pending, key=lambda n: (n.created_at, n.key))[:limit]

    def update_notification(self, notification: Notification) -> None:
        self._state.notifications[notification.key] = notification


class MemoryUnitOfWork(AbstractUnitOfWork):
    """Two instances sharing one ``MemoryState`` behave like two connections to one database."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state if state is not None else MemoryState()
        self._entered: MemoryState | None = None
        self._working: MemoryState | None = None

    def __enter__(self) -> Self:
        self._entered = copy.deepcopy(self.state)
        self._working = copy.deepcopy(self.state)
        self.cases = MemoryCaseRepository(self._working)
        self.alerts = MemoryAlertRepository(self._working)
        self.silences = MemorySilenceRepository(self._working)
        self.escalations = MemoryEscalationRepository(self._working)
        self.deliveries = MemoryDeliveryLogRepository(self._working.accounts)
        self.accounts = MemoryAccountRepository(self._working.accounts)
        self.access_log = MemoryAccessLogRepository(self._working.accounts)
        return self

    def for_another_thread(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.state)

    def ping(self) -> None:
        """Memory always answers."""

    def commit(self) -> None:
        """Apply this transaction's inserts and updates to the shared state, all or nothing."""
        assert self._working is not None and self._entered is not None, (
            "commit() outside `with uow:`"
        )
        self.cases.store_pending()
        working, entered, committed = copy.deepcopy(self._working), self._entered, self.state
        new_entries = {
            case_id: entries[len(entered.history.get(case_id, [])) :]
            for case_id, entries in working.history.items()
        }
        self._check_unique(working, entered, new_entries)
        for table in _TABLES:
            before, after, target = (
                getattr(entered, table),
                getattr(working, table),
                getattr(committed, table),
            )
            target.update({key: value for key, value in after.items() if before.get(key) != value})
        for case_id, entries in new_entries.items():
            committed.history.setdefault(case_id, []).extend(entries)
        _merge_accounts(entered.accounts, working.accounts, committed.accounts)
        self._entered = copy.deepcopy(committed)

    def _check_unique(
        self, working: MemoryState, entered: MemoryState, new_entries: dict[str, list[HistoryEntry]]
    ) -> None:
        for table in _TABLES:
            inserted = getattr(working, table).keys() - getattr(entered, table).keys()
            taken = inserted & getattr(self.state, table).keys()
            if taken:
                raise UniqueKeyViolation(f"{table}: {min(taken)} was stored by another transaction")
        for case_id, entries in new_entries.items():
            stored = {entry.seq for entry in self.state.history.get(case_id, [])}
            clash = [entry.seq for entry in entries if entry.seq in stored]
            if clash:
                raise UniqueKeyViolation(
                    f"case {case_id}: history entry {clash[0]} was appended by another writer"
                )

    def rollback(self) -> None:
        self._entered = self._working = None


_TABLES = ("cases", "alerts", "silences", "escalations", "notifications")
_ACCOUNT_TABLES = ("users", "tokens", "login_sessions")
_ACCOUNT_LOGS = ("reads", "deliveries")


def _merge_accounts(entered: AccountState, working: AccountState, committed: AccountState) -> None:
    """Apply inserts, updates and deletions of the account tables, and the new tail of each log."""
    names = {stored.user.username for stored in committed.users.values()}
    for user_id in working.users.keys() - entered.users.keys():
        if working.users[user_id].user.username in names:
            raise UniqueKeyViolation(f"user name {working.users[user_id].user.username} is taken")
    for table in _ACCOUNT_TABLES:
        before, after, target = (
            getattr(entered, table),
            getattr(working, table),
            getattr(committed, table),
        )
        target.update({key: value for key, value in after.items() if before.get(key) != value})
        for key in before.keys() - after.keys():
            target.pop(key, None)
    for log in _ACCOUNT_LOGS:
        getattr(committed, log).extend(getattr(working, log)[len(getattr(entered, log)) :])
