"""The console's silences page: list, create (matchers, duration, reason) and expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.commands import CreateSilence, ExpireSilence
from services.alerting.domain.silences import Matcher
from services.alerting.entrypoints.web.auth import Caller, check_csrf
from services.alerting.entrypoints.web.context import caller, request_service, web_context
from services.alerting.entrypoints.web.pages import render, see_other
from services.alerting.errors import AccessDenied, InvalidSilence

ServiceDep = Annotated[AlertingService, Depends(request_service)]
CallerDep = Annotated[Caller, Depends(caller)]


def create_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/silences")
    def silences(request: Request, who: CallerDep, service: ServiceDep) -> HTMLResponse:
        return _silences_page(request, who, service)

    @router.post("/silences")
    def create_silence(
        request: Request,
        who: CallerDep,
        service: ServiceDep,
        matchers: Annotated[str, Form()],
        hours: Annotated[float, Form(gt=0)],
        comment: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(who, web_context(request).keys, csrf_token)
        if not who.user.manages_silences:
            raise AccessDenied("您的角色无权新增屏蔽 / your role may not create silences")
        now = service.clock()
        try:
            service.create_silence(
                CreateSilence(
                    matchers=tuple(
                        Matcher.parse(line) for line in matchers.splitlines() if line.strip()
                    ),
                    starts_at=now,
                    ends_at=now + timedelta(hours=hours),
                    created_by=who.user.username,
                    comment=comment,
                )
            )
        except InvalidSilence as exc:
            return _silences_page(request, who, service, error=str(exc), status_code=422)
        return see_other("/silences")

    @router.post("/silences/{silence_id}/expire")
    def expire_silence(
        request: Request,
        silence_id: str,
        who: CallerDep,
        service: ServiceDep,
        csrf_token: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        check_csrf(who, web_context(request).keys, csrf_token)
        if not who.user.manages_silences:
            raise AccessDenied("您的角色无权结束屏蔽 / your role may not expire silences")
        service.expire_silence(ExpireSilence(silence_id, who.user.username))
        return see_other("/silences")

    return router


def _silences_page(
    request: Request,
    who: Caller,
    service: AlertingService,
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    if not who.user.reads_silences:
        raise AccessDenied("您的角色无权查看屏蔽 / your role may not view silences")
    return render(
        request,
        "silences.html",
        who=who,
        status_code=status_code,
        silences=service.silences(),
        now=service.clock(),
        error=error,
    )
