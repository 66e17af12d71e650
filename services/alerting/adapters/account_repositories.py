"""SQLAlchemy repositories of users, tokens, sessions, the personal-data access log and the delivery log."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.alerting.adapters.orm import (
    ApiTokenRow,
    CaseReadRow,
    DeliveryRow,
    LoginSessionRow,
    UserRow,
)
from services.alerting.domain.access import User
from services.alerting.domain.accounts import ApiToken, CaseRead, LoginSession
from services.alerting.domain.notifications import DeliveryAttempt, DeliveryStatus
from services.alerting.service_layer.unit_of_work import (
    AccessLogRepository,
    AccountRepository,
    DeliveryLogRepository,
)


class SqlAlchemyAccountRepository(AccountRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_user(self, user: User, password_hash: str) -> None:
        self.session.add(
            UserRow(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                district_id=user.district_id,
                school_id=user.school_id,
                password_hash=password_hash,
                active=user.active,
            )
        )

    def user(self, user_id: str) -> User | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else _user_from_row(row)

    def user_named(self, username: str) -> User | None:
        row = self.session.scalars(sa.select(UserRow).where(UserRow.username == username)).first()
        return None if row is None else _user_from_row(row)

    def users(self) -> list[User]:
        rows = self.session.scalars(sa.select(UserRow).order_by(UserRow.username))
        return [_user_from_row(row) for row in rows]

    def password_hash(self, user_id: str) -> str | None:
        return self.session.scalar(sa.select(UserRow.password_hash).where(UserRow.id == user_id))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.session.get_one(UserRow, user_id).password_hash = password_hash

    def add_token(self, token: ApiToken) -> None:
        self.session.add(
            ApiTokenRow(
                id=token.id,
                user_id=token.user_id,
                name=token.name,
                digest=token.digest,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )

    def token(self, digest: str) -> ApiToken | None:
        row = self.session.scalars(
            sa.select(ApiTokenRow).where(ApiTokenRow.digest == digest)
        ).first()
        return None if row is None else _token_from_row(row)

    def tokens(self, user_id: str) -> list[ApiToken]:
        query = (
            sa.select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user_id)
            .order_by(ApiTokenRow.created_at)
        )
        return [_token_from_row(row) for row in self.session.scalars(query)]

    def add_login_session(self, session: LoginSession) -> None:
        self.session.add(
            LoginSessionRow(
                digest=session.digest,
                user_id=session.user_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )

    def login_session(self, digest: str) -> LoginSession | None:
        row = self.session.get(LoginSessionRow, digest)
        if row is None:
            return None
        return LoginSession(row.digest, row.user_id, row.created_at, row.expires_at)

    def remove_login_session(self, digest: str) -> None:
        self.session.execute(sa.delete(LoginSessionRow).where(LoginSessionRow.digest == digest))


class SqlAlchemyAccessLogRepository(AccessLogRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, read: CaseRead) -> None:
        self.session.add(
            CaseReadRow(
                username=read.username,
                case_id=read.case_id,
                at=read.at,
                channel=read.channel,
                view=read.view,
            )
        )

    def reads(self, *, case_id: str | None, limit: int) -> list[CaseRead]:
        query = sa.select(CaseReadRow).order_by(CaseReadRow.at.desc(), CaseReadRow.id.desc())
        if case_id is not None:
            query = query.where(CaseReadRow.case_id == case_id)
        return [
            CaseRead(row.username, row.case_id, row.at, row.channel, row.view)
            for row in self.session.scalars(query.limit(limit))
        ]


class SqlAlchemyDeliveryLogRepository(DeliveryLogRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, attempts: Sequence[DeliveryAttempt]) -> None:
        self.session.add_all(
            DeliveryRow(
                notification_key=a.notification_key,
                case_id=a.case_id,
                channel=a.channel,
                kind=a.kind,
                target=a.target,
                attempt=a.attempt,
                status=a.status,
                error=a.error,
                at=a.at,
            )
            for a in attempts
        )

    def delivered_channels(self, keys: Collection[str]) -> dict[str, set[str]]:
        if not keys:
            return {}
        query = sa.select(DeliveryRow.notification_key, DeliveryRow.channel).where(
            DeliveryRow.notification_key.in_(list(keys)),
            DeliveryRow.status == DeliveryStatus.SENT,
        )
        delivered: dict[str, set[str]] = {}
        for key, channel in self.session.execute(query):
            delivered.setdefault(key, set()).add(channel)
        return delivered

    def for_case(self, case_id: str) -> list[DeliveryAttempt]:
        query = (
            sa.select(DeliveryRow).where(DeliveryRow.case_id == case_id).order_by(DeliveryRow.id)
        )
        return [
            DeliveryAttempt(
                notification_key=row.notification_key,
                case_id=row.case_id,
                channel=row.channel,
                kind=row.kind,
                target=row.target,
                attempt=row.attempt,
                status=row.status,
                at=row.at,
                error=row.error,
            )
            for row in self.session.scalars(query)
        ]


def _user_from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        district_id=row.district_id,
        school_id=row.school_id,
        active=row.active,
    )


def _token_from_row(row: ApiTokenRow) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, row.digest, row.created_at, row.revoked_at)
