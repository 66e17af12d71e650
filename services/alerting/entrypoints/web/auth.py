"""Who is calling: an API token (``Authorization: Bearer …``) or a console session cookie, plus CSRF.

The session cookie carries a random session id signed with ``alerting_session_secret``
(itsdangerous); the database keeps only the id's sha256 and the expiry. It is
HttpOnly and SameSite=Lax. Every state-changing request made with the cookie
must also carry the session's CSRF token (a form field or the ``X-CSRF-Token``
header), an HMAC of the session id, so another site cannot forge one. Requests
with a bearer token need no CSRF token: browsers never attach it on their own.
The login form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, TimestampSigner

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import User
from services.alerting.errors import AccessDenied, AuthenticationFailed

SESSION_COOKIE = "qinglian_session"
LOGIN_CSRF_COOKIE = "qinglian_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSRF_REJECTED = (
    "CSRF 校验失败，请刷新页面后重试 / the request lacks this session's CSRF token; reload the page "
    "(API clients: send the X-CSRF-Token header, or use a bearer token)"
)


@dataclass(frozen=True, slots=True)
class CookieKeys:
    secret: str
    secure: bool
    max_age_seconds: int

    def _signer(self, purpose: str) -> TimestampSigner:
        return TimestampSigner(self.secret, salt=f"qinglian-alerting-{purpose}")

    def signed(self, value: str, purpose: str) -> str:
        return self._signer(purpose).sign(value).decode()

    def unsigned(self, cookie: str | None, purpose: str) -> str | None:
        if not cookie:
            return None
        try:
            return self._signer(purpose).unsign(cookie, max_age=self.max_age_seconds).decode()
        except BadSignature:
            return None

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(
            self.secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256
        ).hexdigest()

    def set_cookie(
        self, response: Response, name: str, value: str, *, same_site: str = "lax"
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=self.max_age_seconds,
            httponly=True,
            secure=self.secure,
            samesite=same_site,  # type: ignore[arg-type]
            path="/",
        )


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated user; ``session_id`` is None when the request came with an API token."""

    user: User
    session_id: str | None = None

    def csrf_token(self, keys: CookieKeys) -> str:
        return "" if self.session_id is None else keys.csrf_token(self.session_id)


def identify(request: Request, service: AlertingService, keys: CookieKeys) -> Caller:
    """The caller of ``request``; raises AuthenticationFailed when there is none or it is invalid."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return Caller(service.user_for_token(token.strip()))
    session_id = keys.unsigned(request.cookies.get(SESSION_COOKIE), "session")
    if session_id is None:
        raise AuthenticationFailed("请先登录 / log in first, or send Authorization: Bearer <token>")
    return Caller(service.user_for_session(session_id), session_id)


def check_csrf(caller: Caller, keys: CookieKeys, submitted: str | None) -> None:
    if caller.session_id is None:
        return
    if not submitted or not hmac.compare_digest(keys.csrf_token(caller.session_id), submitted):
        raise AccessDenied(_CSRF_REJECTED)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, keys: CookieKeys, submitted: str | None) -> None:
    expected = keys.unsigned(request.cookies.get(LOGIN_CSRF_COOKIE), "login")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise AccessDenied(_CSRF_REJECTED)
