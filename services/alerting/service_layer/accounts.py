"""Local accounts: users with argon2 password hashes, API tokens for machines, console sessions.

A failed login says the same thing whether the user name or the password was
wrong, and takes as long, so it cannot be used to find out who has an account.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from services.alerting.domain.access import Role, User
from services.alerting.domain.accounts import TOKEN_PREFIX, ApiToken, LoginSession, secret_digest
from services.alerting.errors import AuthenticationFailed, InvalidAccount
from services.alerting.service_layer.ports import PasswordHasher
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_LOGIN_FAILED = "用户名或密码错误 / wrong user name or password"


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    role: Role
    password: str
    district_id: str | None = None
    school_id: str | None = None


def add_user(
    command: NewUser, uow: AbstractUnitOfWork, *, hasher: PasswordHasher, new_id: Callable[[], str]
) -> User:
    if not _USERNAME.fullmatch(command.username):
        raise InvalidAccount(
            f"用户名须为 2–64 位小写字母、数字或 ._- / user name {command.username!r}: use 2–64 lower-case "
            "letters, digits, '.', '_' or '-'"
        )
    if len(command.password) < MIN_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位 / the password needs at least {MIN_PASSWORD_LENGTH} characters"
        )
    user = User(
        id=new_id(),
        username=command.username,
        display_name=command.display_name.strip() or command.username,
        role=command.role,
        district_id=command.district_id or None,
        school_id=command.school_id or None,
    )
    with uow:
        if uow.accounts.user_named(user.username) is not None:
            raise InvalidAccount(
                f"用户名 {user.username} 已存在 / user name {user.username} is taken"
            )
        uow.accounts.add_user(user, hasher.hash(command.password))
        uow.commit()
    return user


def authenticate(
    uow: AbstractUnitOfWork, username: str, password: str, *, hasher: PasswordHasher
) -> User:
    """The active user with this name and password; raises AuthenticationFailed otherwise."""
    with uow:
        user = uow.accounts.user_named(username)
        stored = None if user is None else uow.accounts.password_hash(user.id)
        if user is None or stored is None:
            hasher.verify(_decoy_hash(hasher), password)
            raise AuthenticationFailed(_LOGIN_FAILED)
        if not hasher.verify(stored, password) or not user.active:
            raise AuthenticationFailed(_LOGIN_FAILED)
        if hasher.needs_rehash(stored):
            uow.accounts.set_password_hash(user.id, hasher.hash(password))
            uow.commit()
    return user


@cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("decoy password that nobody has")


def issue_token(
    uow: AbstractUnitOfWork,
    username: str,
    name: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    new_secret: Callable[[], str],
) -> tuple[str, ApiToken]:
    """A new API token for ``username``: the secret (shown once, never stored) and its record."""
    secret = TOKEN_PREFIX + new_secret()
    with uow:
        user = uow.accounts.user_named(username)
        if user is None:
            raise InvalidAccount(f"用户 {username} 不存在 / no user is named {username}")
        token = ApiToken(new_id(), user.id, name, secret_digest(secret), now)
        uow.accounts.add_token(token)
        uow.commit()
    return secret, token


def user_for_token(uow: AbstractUnitOfWork, secret: str) -> User:
    with uow:
        token = uow.accounts.token(secret_digest(secret))
        user = None if token is None or token.revoked_at else uow.accounts.user(token.user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("API 令牌无效或已吊销 / unknown or revoked API token")
    return user


def start_session(
    uow: AbstractUnitOfWork,
    user: User,
    *,
    now: datetime,
    lifetime: timedelta,
    new_secret: Callable[[], str],
) -> str:
    """A console session for ``user``; returns the session id for the cookie (only its digest is stored)."""
    session_id = new_secret()
    with uow:
        uow.accounts.add_login_session(
            LoginSession(secret_digest(session_id), user.id, now, now + lifetime)
        )
        uow.commit()
    return session_id


def user_for_session(uow: AbstractUnitOfWork, session_id: str, *, now: datetime) -> User:
    with uow:
        session = uow.accounts.login_session(secret_digest(session_id))
        user = (
            None
            if session is None or not session.is_valid(now)
            else uow.accounts.user(session.user_id)
        )
    if user is None or not user.active:
        raise AuthenticationFailed("登录已过期，请重新登录 / the session has ended; log in again")
    return user


def end_session(uow: AbstractUnitOfWork, session_id: str) -> None:
    with uow:
        uow.accounts.remove_login_session(secret_digest(session_id))
        uow.commit()
