"""Rendering console pages: the template context every page shares, and the language choice."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.alerting.entrypoints.web.auth import Caller
from services.alerting.entrypoints.web.context import web_context
from services.alerting.entrypoints.web.i18n import LANGUAGE_COOKIE, Language, translator


def language_of(request: Request) -> Language:
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return Language.EN if chosen == Language.EN.value else Language.ZH


def render(
    request: Request,
    template: str,
    *,
    who: Caller | None = None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = web_context(request)
    language = language_of(request)
    response = context.templates.TemplateResponse(
        request,
        template,
        {
            "t": translator(language),
            "lang": language.value,
            "english": language is Language.EN,
            "user": None if who is None else who.user,
            "csrf": "" if who is None else who.csrf_token(context.keys),
            **values,
        },
        status_code=status_code,
    )
    if "lang" in request.query_params:
        response.set_cookie(LANGUAGE_COOKIE, language.value, max_age=365 * 86400, samesite="lax")
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
