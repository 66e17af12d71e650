"""What every request handler needs, kept on ``app.state`` by ``create_app`` (nothing module-level)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.bootstrap import AlertingService
from services.alerting.entrypoints.web.auth import Caller, CookieKeys, identify


@dataclass(frozen=True, slots=True)
class WebContext:
    service: AlertingService
    keys: CookieKeys
    attachments: FileAttachmentStore
    timezone: tzinfo
    templates: Jinja2Templates


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def request_service(request: Request) -> AlertingService:
    """The service on a unit of work of this request's own (units of work are not shared between threads)."""
    return web_context(request).service.for_another_thread()


def caller(request: Request) -> Caller:
    context = web_context(request)
    return identify(request, request_service(request), context.keys)
