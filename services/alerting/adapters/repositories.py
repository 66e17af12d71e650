"""SQLAlchemy repositories: rows in, domain objects out, and back at commit."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.alerting.adapters.alert_codec import alert_from_data, alert_to_data
from services.alerting.adapters.bulk import insert_rows
from services.alerting.adapters.orm import (
    AlertRow,
    CaseRow,
    EscalationRow,
    HistoryRow,
    NotificationRow,
    SilenceRow,
)
from services.alerting.domain.alerts import Alert, CaseKey, Severity, Subject, severity_rank
from services.alerting.domain.case import Case
from services.alerting.domain.escalation import EscalationStep, Recipient
from services.alerting.domain.history import Attachment, HistoryEntry
from services.alerting.domain.notifications import Notification, NotificationStatus
from services.alerting.domain.silences import Matcher, MatchOperator, Silence
from services.alerting.domain.summary import CountRow
from services.alerting.domain.workflow import OPEN_STATES, CaseState, Resolution
from services.alerting.service_layer.unit_of_work import (
    AlertRepository,
    CaseRepository,
    ChainHead,
    EscalationRepository,
    InboxQuery,
    Scope,
    SilenceRepository,
)


class SqlAlchemyCaseRepository(CaseRepository):
    """Cases read here are tracked and written back at commit; new ones are inserted then.

    New rows (cases, history entries, alerts) are written in bulk (``insert_rows``)
    rather than as ORM objects: at hundreds of alerts per batch, the ORM's per-object
    bookkeeping cost more than the database's work. A case added in this unit of
    work is not visible to its queries before the commit.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seen: dict[str, tuple[CaseRow, Case]] = {}
        self._added: dict[str, Case] = {}
        self._inserted: dict[str, Case] = {}

    def _track(self, row: CaseRow) -> Case:
        if row.id not in self._seen:
            self._seen[row.id] = (row, _case_from_row(row))
        return self._seen[row.id][1]

    def add(self, case: Case) -> None:
        self._added[case.id] = case

    def get(self, case_id: str) -> Case | None:
        unsaved = self._added.get(case_id) or self._inserted.get(case_id)
        if unsaved is not None:
            return unsaved
        row = self.session.get(CaseRow, case_id)
        return None if row is None else self._track(row)

    def latest_for_keys(self, keys: Collection[CaseKey]) -> dict[CaseKey, Case]:
        if not keys:
            return {}
        # One IN list per column rather than one tuple per key: a few hundred bind parameters instead
        # of thousands per batch. Rows it also matches (a subject id under another rule) are dropped below.
        schools = {key.school_id for key in keys}
        school_matches = CaseRow.school_id.in_(schools - {None})
        if None in schools:
            school_matches = sa.or_(school_matches, CaseRow.school_id.is_(None))
        query = sa.select(CaseRow).where(
            school_matches,
            CaseRow.rule_id.in_({key.rule_id for key in keys}),
            CaseRow.subject_id.in_({key.subject.id for key in keys}),
        )
        latest: dict[CaseKey, Case] = {}
        for row in self.session.scalars(query.order_by(CaseRow.opened_at, CaseRow.id)):
            key = CaseKey(row.school_id, row.rule_id, Subject(row.subject_kind, row.subject_id))
            if key in keys:
                latest[key] = self._track(row)
        return latest

    def overdue(
        self, now: datetime, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Case]:
        query = sa.select(CaseRow).where(CaseRow.deadline_at <= now, CaseRow.state.in_(OPEN_STATES))
        if after is not None:
            deadline, case_id = after
            query = query.where(
                sa.or_(
                    CaseRow.deadline_at > deadline,
                    sa.and_(CaseRow.deadline_at == deadline, CaseRow.id > case_id),
                )
            )
        rows = self.session.scalars(query.order_by(CaseRow.deadline_at, CaseRow.id).limit(limit))
        return [self._track(row) for row in rows]

    def inbox(self, query: InboxQuery) -> list[Case]:
        statement = (
            sa.select(CaseRow)
            .where(*_inbox_conditions(query))
            .order_by(CaseRow.severity_rank, sa.nulls_last(CaseRow.deadline_at.asc()), CaseRow.id)
        )
        rows = self.session.scalars(statement.limit(query.limit).offset(query.offset))
        return [_case_from_row(row) for row in rows]

    def history(self, case_id: str) -> list[HistoryEntry]:
        return self.histories([case_id]).get(case_id, [])

    def chain_heads(self, *, after: str | None, limit: int) -> list[ChainHead]:
        query = (
            sa.select(CaseRow.id, CaseRow.chain_head, CaseRow.history_count)
            .order_by(CaseRow.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(CaseRow.id > after)
        return [
            ChainHead(case_id, head, count) for case_id, head, count in self.session.execute(query)
        ]

    def histories(self, case_ids: Collection[str]) -> dict[str, list[HistoryEntry]]:
        rows = self.session.scalars(
            sa.select(HistoryRow)
            .where(HistoryRow.case_id.in_(list(case_ids)))
            .order_by(HistoryRow.case_id, HistoryRow.seq, HistoryRow.id)
        )
        histories: dict[str, list[HistoryEntry]] = {}
        for row in rows:
            histories.setdefault(row.case_id, []).append(_entry_from_row(row))
        return histories

    def count_by_state_and_severity(self) -> dict[tuple[CaseState, Severity], int]:
        query = sa.select(CaseRow.state, CaseRow.severity, sa.func.count()).group_by(
            CaseRow.state, CaseRow.severity
        )
        return {(state, severity): count for state, severity, count in self.session.execute(query)}

    def count_overdue(self, now: datetime) -> int:
        query = sa.select(sa.func.count()).where(
            CaseRow.deadline_at <= now, CaseRow.state.in_(OPEN_STATES)
        )
        return self.session.scalar(query) or 0

    def resolutions_by_rule(self) -> list[tuple[str, Resolution, int]]:
        query = (
            sa.select(CaseRow.rule_id, CaseRow.resolution, sa.func.count())
            .where(CaseRow.resolution.is_not(None))
            .group_by(CaseRow.rule_id, CaseRow.resolution)
            .order_by(CaseRow.rule_id)
        )
        return [
            (rule_id, resolution, count)
            for rule_id, resolution, count in self.session.execute(query)
        ]

    def summary_counts(self, scope: Scope) -> list[CountRow]:
        columns = (
            CaseRow.risk_area,
            CaseRow.school_id,
            CaseRow.rule_id,
            CaseRow.state,
            CaseRow.severity,
        )
        query = sa.select(*columns, sa.func.count()).where(*_scope_conditions(scope))
        return [
            (risk_area, school_id, rule_id, state, severity, count)
            for risk_area, school_id, rule_id, state, severity, count in self.session.execute(
                query.group_by(*columns)
            )
        ]

    def close_durations(self, scope: Scope, *, limit: int) -> list[timedelta]:
        query = (
            sa.select(CaseRow.opened_at, CaseRow.terminal_at)
            .where(*_scope_conditions(scope), CaseRow.state == CaseState.CLOSED)
            .order_by(CaseRow.terminal_at.desc())
            .limit(limit)
        )
        return [closed - opened for opened, closed in self.session.execute(query)]

    def store_changes(self) -> None:
        """Write changed and new cases, then (their rows existing) the history entries and alerts they gained."""
        for row, case in self._seen.values():
            _write_case(case, row)
        self.session.flush()
        for case in self._inserted.values():
            if case.pending_entries:
                values = _case_values(case)
                self.session.execute(sa.update(CaseRow).where(CaseRow.id == case.id).values(values))
        if self._added:
            insert_rows(
                self.session,
                CaseRow.__table__,
                [{"id": c.id, **_case_values(c)} for c in self._added.values()],
            )
            self._inserted.update(self._added)
            self._added = {}
        entries: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        for case in [case for _, case in self._seen.values()] + list(self._inserted.values()):
            pending_entries, received = case.drain_pending()
            entries.extend(_entry_values(entry) for entry in pending_entries)
            alerts.extend(
                _alert_values(item.alert, item.received_at, case_id=case.id) for item in received
            )
        insert_rows(self.session, HistoryRow.__table__, entries)
        insert_rows(self.session, AlertRow.__table__, alerts)


def _scope_conditions(scope: Scope) -> Iterable[sa.ColumnElement[bool]]:
    if scope.district_id is not None:
        yield CaseRow.district_id == scope.district_id
    if scope.school_id is not None:
        yield CaseRow.school_id == scope.school_id
    if not scope.sees_routed_cases:
        yield CaseRow.routed_to_district.is_(False)


def _inbox_conditions(query: InboxQuery) -> Iterable[sa.ColumnElement[bool]]:
    yield from _scope_conditions(query.scope)
    yield CaseRow.state.in_(query.states)
    if query.severities is not None:
        yield CaseRow.severity.in_(query.severities)
    if query.risk_areas is not None:
        yield CaseRow.risk_area.in_(query.risk_areas)
    if query.school_id is not None:
        yield CaseRow.school_id == query.school_id
    if query.overdue_at is not None:
        yield CaseRow.deadline_at <= query.overdue_at


class SqlAlchemyAlertRepository(AlertRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def known_ids(self, alert_ids: Collection[str]) -> set[str]:
        if not alert_ids:
            return set()
        return set(
            self.session.scalars(
                sa.select(AlertRow.alert_id).where(AlertRow.alert_id.in_(list(alert_ids)))
            )
        )

    def add_suppressed(self, alert: Alert, silence_id: str, received_at: datetime) -> None:
        self.session.add(AlertRow(**_alert_values(alert, received_at, silence_id=silence_id)))

    def for_case(self, case_id: str) -> list[Alert]:
        return [alert_from_data(payload) for payload in self.payloads_for_case(case_id)]

    def payloads_for_case(self, case_id: str) -> list[dict[str, Any]]:
        query = sa.select(AlertRow.payload).where(AlertRow.case_id == case_id)
        return list(self.session.scalars(query.order_by(AlertRow.event_time, AlertRow.alert_id)))

    def suppressed_by(self, silence_id: str) -> list[Alert]:
        query = (
            sa.select(AlertRow.payload)
            .where(AlertRow.silence_id == silence_id)
            .order_by(AlertRow.event_time)
        )
        return [alert_from_data(payload) for payload in self.session.scalars(query)]


class SqlAlchemySilenceRepository(SilenceRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, silence: Silence) -> None:
        self.session.add(_write_silence(silence, SilenceRow(id=silence.id)))

    def get(self, silence_id: str) -> Silence | None:
        row = self.session.get(SilenceRow, silence_id)
        return None if row is None else _silence_from_row(row)

    def replace(self, silence: Silence) -> None:
        row = self.session.get_one(SilenceRow, silence.id)
        _write_silence(silence, row)

    def active(self, now: datetime) -> list[Silence]:
        query = sa.select(SilenceRow).where(SilenceRow.starts_at <= now, SilenceRow.ends_at > now)
        return [
            _silence_from_row(row)
            for row in self.session.scalars(query.order_by(SilenceRow.created_at))
        ]

    def list(self) -> list[Silence]:
        query = sa.select(SilenceRow).order_by(SilenceRow.created_at.desc(), SilenceRow.id.desc())
        return [_silence_from_row(row) for row in self.session.scalars(query)]


class SqlAlchemyEscalationRepository(EscalationRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def sent_keys(self, case_ids: Collection[str]) -> dict[str, set[str]]:
        query = sa.select(EscalationRow.case_id, EscalationRow.key).where(
            EscalationRow.case_id.in_(list(case_ids))
        )
        keys: dict[str, set[str]] = {}
        for case_id, key in self.session.execute(query):
            keys.setdefault(case_id, set()).add(key)
        return keys

    def add(self, step: EscalationStep, notification: Notification, recorded_at: datetime) -> None:
        recipient = step.recipient
        self.session.add(
            EscalationRow(
                key=step.key,
                case_id=step.case_id,
                stage_seq=step.stage_seq,
                level=step.level,
                slot=step.slot,
                audience=recipient.audience,
                unit_id=recipient.unit_id,
                role=recipient.role,
                due_at=step.due_at,
                recorded_at=recorded_at,
            )
        )
        self.session.add(_write_notification(notification, NotificationRow(key=notification.key)))

    def pending_notifications(self, limit: int) -> list[Notification]:
        query = (
            sa.select(NotificationRow)
            .where(NotificationRow.status == NotificationStatus.PENDING)
            .order_by(NotificationRow.id)
            .limit(limit)
        )
        return [_notification_from_row(row) for row in self.session.scalars(query)]

    def update_notification(self, notification: Notification) -> None:
        row = self.session.scalars(
            sa.select(NotificationRow).where(NotificationRow.key == notification.key)
        ).one()
        _write_notification(notification, row)


def _case_from_row(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        key=CaseKey(
            school_id=row.school_id,
            rule_id=row.rule_id,
            subject=Subject(row.subject_kind, row.subject_id),
        ),
        district_id=row.district_id,
        risk_area=row.risk_area,
        severity=row.severity,
        title_zh=row.title_zh,
        title_en=row.title_en,
        opened_at=row.opened_at,
        first_alert_at=row.first_alert_at,
        last_alert_at=row.last_alert_at,
        state=row.state,
        alert_count=row.alert_count,
        routed_to_district=row.routed_to_district,
        linked_case_id=row.linked_case_id,
        assignee=row.assignee,
        resolution=row.resolution,
        stage_entered_at=row.stage_entered_at,
        stage_seq=row.stage_seq,
        deadline_at=row.deadline_at,
        terminal_at=row.terminal_at,
        history_count=row.history_count,
        chain_head=row.chain_head,
    )


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "school_id": case.key.school_id,
        "district_id": case.district_id,
        "rule_id": case.key.rule_id,
        "subject_kind": case.key.subject.kind,
        "subject_id": case.key.subject.id,
        "risk_area": case.risk_area,
        "severity": case.severity,
        "severity_rank": severity_rank(case.severity),
        "title_zh": case.title_zh,
        "title_en": case.title_en,
        "state": case.state,
        "routed_to_district": case.routed_to_district,
        "linked_case_id": case.linked_case_id,
        "assignee": case.assignee,
        "resolution": case.resolution,
        "opened_at": case.opened_at,
        "first_alert_at": case.first_alert_at,
        "last_alert_at": case.last_alert_at,
        "alert_count": case.alert_count,
        "stage_entered_at": case.stage_entered_at,
        "stage_seq": case.stage_seq,
        "deadline_at": case.deadline_at,
        "terminal_at": case.terminal_at,
        "history_count": case.history_count,
        "chain_head": case.chain_head,
    }


def _write_case(case: Case, row: CaseRow) -> None:
    """Copy the case onto its row, touching only what changed (each ORM attribute set has a cost)."""
    for name, value in _case_values(case).items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _entry_values(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "case_id": entry.case_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "comment": entry.comment,
        "attachments": [{"name": a.name, "sha256": a.sha256} for a in entry.attachments],
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry_from_row(row: HistoryRow) -> HistoryEntry:
    return HistoryEntry(
        case_id=row.case_id,
        seq=row.seq,
        kind=row.kind,
        at=row.at,
        actor=row.actor,
        prev_hash=row.prev_hash,
        hash=row.hash,
        action=row.action,
        from_state=row.from_state,
        to_state=row.to_state,
        comment=row.comment,
        attachments=tuple(Attachment(a["name"], a["sha256"]) for a in row.attachments),
        details=row.details,
    )


def _alert_values(
    alert: Alert,
    received_at: datetime,
    *,
    case_id: str | None = None,
    silence_id: str | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "case_id": case_id,
        "silence_id": silence_id,
        "rule_id": alert.rule_id,
        "school_id": alert.school_id,
        "severity": alert.severity,
        "event_time": alert.event_time,
        "received_at": received_at,
        "payload": alert_to_data(alert),
    }


def _write_silence(silence: Silence, row: SilenceRow) -> SilenceRow:
    row.matchers = [
        {"label": m.label, "operator": m.operator.value, "value": m.value} for m in silence.matchers
    ]
    row.starts_at = silence.starts_at
    row.ends_at = silence.ends_at
    row.created_by = silence.created_by
    row.comment = silence.comment
    row.created_at = silence.created_at
    row.expired_by = silence.expired_by
    return row


def _silence_from_row(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id,
        matchers=tuple(
            Matcher(m["label"], MatchOperator(m["operator"]), m["value"]) for m in row.matchers
        ),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
        created_at=row.created_at,
        expired_by=row.expired_by,
    )


def _write_notification(notification: Notification, row: NotificationRow) -> NotificationRow:
    row.case_id = notification.case_id
    row.audience = notification.recipient.audience
    row.unit_id = notification.recipient.unit_id
    row.role = notification.recipient.role
    row.payload = notification.payload
    row.status = notification.status
    row.attempts = notification.attempts
    row.channel = notification.channel
    row.last_error = notification.last_error
    row.created_at = notification.created_at
    row.sent_at = notification.sent_at
    return row


def _notification_from_row(row: NotificationRow) -> Notification:
    return Notification(
        key=row.key,
        case_id=row.case_id,
        recipient=Recipient(row.audience, row.unit_id, row.role),
        payload=row.payload,
        created_at=row.created_at,
        status=row.status,
        attempts=row.attempts,
        channel=row.channel,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
