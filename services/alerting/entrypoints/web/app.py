"""``create_app(settings, service)``: the REST API, the console, /healthz and the error pages, on one FastAPI app.

Errors become answers here, once: in the API ``{"error", "message"}`` with a
status; in the console an error page (or, when not logged in, the login page).

    401 AuthenticationFailed                403 AccessDenied (role, CSRF)
    404 CaseNotFound, SilenceNotFound        409 ConcurrentUpdate, a concurrent write (unique key)
    422 InvalidTransition/Silence/Attachment/Account
    503 DatabaseUnavailable, MigrationError, the database not answering,
        EvidenceUnavailable (Kafka not answering for an audit bundle)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from qinglian import __version__
from qinglian.settings import Settings
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.bootstrap import AlertingService
from services.alerting.entrypoints.web import api, console, silence_pages
from services.alerting.entrypoints.web.auth import Caller, CookieKeys
from services.alerting.entrypoints.web.context import WebContext, caller, web_context
from services.alerting.entrypoints.web.pages import render
from services.alerting.entrypoints.web.presenters import local_time, yuan_from_fen
from services.alerting.errors import (
    AccessDenied,
    AlertingError,
    AuthenticationFailed,
    CaseNotFound,
    ConcurrentUpdate,
    DatabaseUnavailable,
    EvidenceUnavailable,
    MigrationError,
    SilenceNotFound,
)

log = structlog.get_logger(__name__)

WEB = Path(__file__).parent
_STATUS: dict[type[AlertingError], int] = {
    AuthenticationFailed: 401,
    AccessDenied: 403,
    CaseNotFound: 404,
    SilenceNotFound: 404,
    ConcurrentUpdate: 409,
    DatabaseUnavailable: 503,
    EvidenceUnavailable: 503,
    MigrationError: 503,
}
_CONCURRENT = ConcurrentUpdate(
    "案件刚被他人或系统更新，请刷新后重试 / the case changed at the same moment; reload and try again"
)
_DATABASE_DOWN = DatabaseUnavailable(
    "案件数据库暂不可用，请稍后重试 / the case database is not answering; try again shortly"
)


def create_app(
    settings: Settings, service: AlertingService, *, attachments: FileAttachmentStore | None = None
) -> FastAPI:
    timezone = ZoneInfo(settings.timezone)
    templates = Jinja2Templates(directory=WEB / "templates")
    templates.env.filters["local"] = lambda moment: local_time(moment, timezone)
    templates.env.filters["yuan"] = yuan_from_fen
    app = FastAPI(
        title="清廉 Qinglian 预警处置 / Alerting API",
        version=__version__,
        description=(
            "案件、闭环处置、屏蔽与统计 / Cases, the closed-loop workflow, silences and reports. "
            "Authenticate with `Authorization: Bearer <token>` (issued by `qinglian alerting user token`) "
            "or the console's session cookie plus the `X-CSRF-Token` header on changes."
        ),
    )
    app.state.web = WebContext(
        service=service,
        keys=CookieKeys(
            secret=settings.alerting_session_secret.get_secret_value(),
            secure=settings.alerting_cookie_secure,
            max_age_seconds=int(settings.alerting_session_hours * 3600),
        ),
        attachments=attachments
        or FileAttachmentStore(settings.resolve(settings.alerting_attachments_dir)),
        timezone=timezone,
        templates=templates,
    )
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.include_router(api.create_router())
    app.include_router(console.create_router())
    app.include_router(silence_pages.create_router())

    @app.get(
        "/healthz", tags=["health"], summary="数据库可达即 200 / 200 when the database answers"
    )
    def healthz(request: Request) -> JSONResponse:
        try:
            web_context(request).service.for_another_thread().ping()
        except SQLAlchemyError as exc:
            log.warning("health check failed", error=str(exc))
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    app.add_exception_handler(AlertingError, _alerting_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, lambda r, _: _alerting_error(r, _CONCURRENT))
    app.add_exception_handler(SQLAlchemyError, _database_error)  # type: ignore[arg-type]
    return app


def _database_error(request: Request, exc: SQLAlchemyError) -> Response:
    log.warning("database error", path=request.url.path, error=str(exc))
    return _alerting_error(request, _DATABASE_DOWN)


def _alerting_error(request: Request, exc: AlertingError) -> Response:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": _code(exc), "message": str(exc)}, status_code=status)
    if isinstance(exc, AuthenticationFailed):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return render(
        request, "error.html", who=_known_caller(request), status_code=status, message=str(exc)
    )


def _known_caller(request: Request) -> Caller | None:
    """Who is looking at the error page, if that can still be told (for the page's navigation)."""
    try:
        return caller(request)
    except (AlertingError, SQLAlchemyError):
        return None


def _code(exc: AlertingError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
