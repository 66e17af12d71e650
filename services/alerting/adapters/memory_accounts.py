"""In-memory users, tokens, sessions, access log and delivery log (see ``adapters.memory``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace

from services.alerting.domain.access import User
from services.alerting.domain.accounts import ApiToken, CaseRead, LoginSession
from services.alerting.domain.notifications import DeliveryAttempt, DeliveryStatus
from services.alerting.service_layer.unit_of_work import (
    AccessLogRepository,
    AccountRepository,
    DeliveryLogRepository,
)


class UniqueKeyViolation(Exception):
    """The in-memory counterpart of a database unique-constraint error."""


@dataclass
class StoredUser:
    user: User
    password_hash: str


@dataclass
class AccountState:
    users: dict[str, StoredUser] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    login_sessions: dict[str, LoginSession] = field(default_factory=dict)
    reads: list[CaseRead] = field(default_factory=list)
    deliveries: list[DeliveryAttempt] = field(default_factory=list)


class MemoryAccountRepository(AccountRepository):
    def __init__(self, state: AccountState) -> None:
        self._state = state

    def add_user(self, user: User, password_hash: str) -> None:
        if self.user_named(user.username) is not None:
            raise UniqueKeyViolation(f"user name {user.username} is taken")
        self._state.users[user.id] = StoredUser(user, password_hash)

    def user(self, user_id: str) -> User | None:
        stored = self._state.users.get(user_id)
        return None if stored is None else stored.user

    def user_named(self, username: str) -> User | None:
        return next(
            (s.user for s in self._state.users.values() if s.user.username == username), None
        )

    def users(self) -> list[User]:
        return sorted((s.user for s in self._state.users.values()), key=lambda u: u.username)

    def password_hash(self, user_id: str) -> str | None:
        stored = self._state.users.get(user_id)
        return None if stored is None else stored.password_hash

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        stored = self._state.users[user_id]
        self._state.users[user_id] = replace(stored, password_hash=password_hash)

    def add_token(self, token: ApiToken) -> None:
        if token.digest in self._state.tokens:
            raise UniqueKeyViolation("token digest is taken")
        self._state.tokens[token.digest] = token

    def token(self, digest: str) -> ApiToken | None:
        return self._state.tokens.get(digest)

    def tokens(self, user_id: str) -> list[ApiToken]:
        owned = (t for t in self._state.tokens.values() if t.user_id == user_id)
        return sorted(owned, key=lambda t: t.created_at)

    def add_login_session(self, session: LoginSession) -> None:
        self._state.login_sessions[session.digest] = session

    def login_session(self, digest: str) -> LoginSession | None:
        return self._state.login_sessions.get(digest)

    def remove_login_session(self, digest: str) -> None:
        self._state.login_sessions.pop(digest, None)


class MemoryAccessLogRepository(AccessLogRepository):
    def __init__(self, state: AccountState) -> None:
        self._state = state

    def add(self, read: CaseRead) -> None:
        self._state.reads.append(read)

    def reads(self, *, case_id: str | None, limit: int) -> list[CaseRead]:
        wanted = [r for r in self._state.reads if case_id is None or r.case_id == case_id]
        return list(reversed(wanted))[:limit]


class MemoryDeliveryLogRepository(DeliveryLogRepository):
    def __init__(self, state: AccountState) -> None:
        self._state = state

    def add(self, attempts: Sequence[DeliveryAttempt]) -> None:
        self._state.deliveries.extend(attempts)

    def delivered_channels(self, keys: Collection[str]) -> dict[str, set[str]]:
        delivered: dict[str, set[str]] = {}
        for attempt in self._state.deliveries:
            if attempt.notification_key in keys and attempt.status is DeliveryStatus.SENT:
                delivered.setdefault(attempt.notification_key, set()).add(attempt.channel)
        return delivered

    def for_case(self, case_id: str) -> list[DeliveryAttempt]:
        return [a for a in self._state.deliveries if a.case_id == case_id]
