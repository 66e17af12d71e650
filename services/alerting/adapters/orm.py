"""Tables of the case database (SQLAlchemy 2.0 typed models), the same on PostgreSQL and SQLite.

Enums are stored by value as short strings without CHECK constraints: the
workflow's states live in code (``domain.workflow``), so adding one needs no
table rebuild on SQLite. Times are stored as UTC and always come back aware.
The inbox indexes lead with the scope column and end with the inbox order
(severity rank, then deadline), so a page of the inbox is an index range scan.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from services.alerting.domain.access import Role
from services.alerting.domain.accounts import ReadChannel
from services.alerting.domain.alerts import RiskArea, Severity, SubjectKind
from services.alerting.domain.escalation import Audience
from services.alerting.domain.history import EntryKind
from services.alerting.domain.notifications import DeliveryStatus, NotificationStatus
from services.alerting.domain.workflow import Action, CaseState, Resolution

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime in, an aware UTC datetime out; naive values are refused, never guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} cannot be stored; attach a time zone"
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _by_value(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class ModelBase(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        enum.Enum: sa.Enum(
            enum.Enum,
            native_enum=False,
            create_constraint=False,
            values_callable=_by_value,
            length=32,
        ),
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[Any]: sa.JSON(),
        str: sa.String(128),
    }


class CaseRow(ModelBase):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    school_id: Mapped[str | None]
    district_id: Mapped[str | None]
    rule_id: Mapped[str] = mapped_column(sa.String(32))
    subject_kind: Mapped[SubjectKind]
    subject_id: Mapped[str] = mapped_column(sa.String(200))
    risk_area: Mapped[RiskArea]
    severity: Mapped[Severity]
    severity_rank: Mapped[int] = mapped_column(sa.SmallInteger)
    title_zh: Mapped[str] = mapped_column(sa.Text)
    title_en: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[CaseState]
    routed_to_district: Mapped[bool]
    linked_case_id: Mapped[str | None] = mapped_column(sa.ForeignKey("cases.id"))
    assignee: Mapped[str | None]
    resolution: Mapped[Resolution | None]
    opened_at: Mapped[datetime]
    first_alert_at: Mapped[datetime]
    last_alert_at: Mapped[datetime]
    alert_count: Mapped[int]
    stage_entered_at: Mapped[datetime | None]
    stage_seq: Mapped[int]
    deadline_at: Mapped[datetime | None]
    terminal_at: Mapped[datetime | None]
    history_count: Mapped[int]
    chain_head: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index(
            "ix_cases_case_key", "school_id", "rule_id", "subject_kind", "subject_id", "opened_at"
        ),
        sa.Index("ix_cases_district_inbox", "district_id", "severity_rank", "deadline_at", "id"),
        sa.Index("ix_cases_school_inbox", "school_id", "severity_rank", "deadline_at", "id"),
        sa.Index("ix_cases_deadline", "deadline_at", "id"),
        sa.Index("ix_cases_rule_resolution", "rule_id", "resolution"),
        sa.Index("ix_cases_state_terminal", "state", "terminal_at"),
    )


class AlertRow(ModelBase):
    """Every alert received, once: the unique alert id is what makes re-delivery harmless."""

    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    silence_id: Mapped[str | None] = mapped_column(sa.ForeignKey("silences.id"), index=True)
    rule_id: Mapped[str] = mapped_column(sa.String(32))
    school_id: Mapped[str | None]
    severity: Mapped[Severity]
    event_time: Mapped[datetime]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class HistoryRow(ModelBase):
    """One hash-chained history entry; (case_id, seq) is unique, which also stops two writers appending at once."""

    __tablename__ = "case_history"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"))
    seq: Mapped[int]
    kind: Mapped[EntryKind]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[Action | None]
    from_state: Mapped[CaseState | None]
    to_state: Mapped[CaseState | None]
    comment: Mapped[str] = mapped_column(sa.Text)
    attachments: Mapped[list[Any]]
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)


class SilenceRow(ModelBase):
    __tablename__ = "silences"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    matchers: Mapped[list[Any]]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str]
    comment: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    expired_by: Mapped[str | None]


class EscalationRow(ModelBase):
    """The escalation log: one row per reminder decided, keyed by the step's deterministic key."""

    __tablename__ = "escalations"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    stage_seq: Mapped[int]
    level: Mapped[int]
    slot: Mapped[int]
    audience: Mapped[Audience]
    unit_id: Mapped[str | None]
    role: Mapped[str] = mapped_column(sa.String(64))
    due_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class NotificationRow(ModelBase):
    """The notification outbox, written in the escalation's transaction; the unique key prevents a double send."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    audience: Mapped[Audience]
    unit_id: Mapped[str | None]
    role: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[NotificationStatus]
    attempts: Mapped[int]
    channel: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_notifications_status_id", "status", "id"),)


class DeliveryRow(ModelBase):
    """The delivery log: one row per try to deliver a notification on a channel."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    notification_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(500))
    attempt: Mapped[int]
    status: Mapped[DeliveryStatus]
    error: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime]


class UserRow(ModelBase):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str]
    role: Mapped[Role]
    district_id: Mapped[str | None]
    school_id: Mapped[str | None]
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool]


class ApiTokenRow(ModelBase):
    """An API token, stored as the sha256 of the secret (shown once, when issued)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str]
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginSessionRow(ModelBase):
    """A console session, stored as the sha256 of the id in the (signed) cookie."""

    __tablename__ = "login_sessions"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CaseReadRow(ModelBase):
    """The personal-data access log: who read which case, when, through the console or the API."""

    __tablename__ = "case_reads"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    case_id: Mapped[str] = mapped_column(sa.ForeignKey("cases.id"))
    at: Mapped[datetime]
    channel: Mapped[ReadChannel]
    view: Mapped[str] = mapped_column(sa.String(32))

    __table_args__ = (
        sa.Index("ix_case_reads_case_id_at", "case_id", "at"),
        sa.Index("ix_case_reads_at", "at"),
    )
