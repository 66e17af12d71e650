"""The web console: server-rendered pages (Jinja2, one CSS file, no JavaScript build, no CDN).

Pages here: login, inbox (filters: severity, state, school, risk area, overdue),
case detail (evidence, timeline with chain status, the actions this user may
take now) and summary; silences are in ``silence_pages``. Every form that changes something carries the
session's CSRF token; after a change the browser is redirected (303), so a
reload never repeats it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.accounts import ReadChannel
from services.alerting.domain.alerts import RiskArea, Severity
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.workflow import (
    ACTION_RULES,
    OPEN_STATES,
    Action,
    CaseState,
    Resolution,
)
from services.alerting.entrypoints.web.api import attachment_response, audit_bundle_response
from services.alerting.entrypoints.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    check_csrf,
    check_login_csrf,
    new_login_csrf,
)
from services.alerting.entrypoints.web.context import caller, request_service, web_context
from services.alerting.entrypoints.web.i18n import Language, translator
from services.alerting.entrypoints.web.pages import language_of, render, see_other
from services.alerting.entrypoints.web.presenters import duration_text, evidence_fields
from services.alerting.errors import (
    AuthenticationFailed,
    InvalidAttachment,
    InvalidFilter,
    InvalidTransition,
)
from services.alerting.service_layer.unit_of_work import InboxQuery

PAGE_SIZE = 50
E = TypeVar("E", bound=Enum)
ServiceDep = Annotated[AlertingService, Depends(request_service)]
CallerDep = Annotated[Caller, Depends(caller)]


def create_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def home() -> RedirectResponse:
        return see_other("/cases")

    @router.get("/login")
    def login_page(request: Request, next: str = "/cases") -> HTMLResponse:
        return _login_form(request, next)

    @router.post("/login")
    def login(
        request: Request,
        service: ServiceDep,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/cases",
    ) -> Response:
        keys = web_context(request).keys
        check_login_csrf(request, keys, csrf_token)
        try:
            user = service.authenticate(username.strip(), password)
        except AuthenticationFailed as exc:
            return _login_form(request, next, error=str(exc), status_code=401)
        response = see_other(
            next if next.startswith("/") and not next.startswith("//") else "/cases"
        )
        keys.set_cookie(
            response, SESSION_COOKIE, keys.signed(service.start_session(user), "session")
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @router.post("/logout")
    def logout(
        request: Request,
        who: CallerDep,
        service: ServiceDep,
        csrf_token: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        check_csrf(who, web_context(request).keys, csrf_token)
        if who.session_id is not None:
            service.end_session(who.session_id)
        response = see_other("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/cases")
    def inbox(
        request: Request,
        who: CallerDep,
        service: ServiceDep,
        severity: str = "",
        state: str = "open",
        risk_area: str = "",
        school_id: str = "",
        overdue: bool = False,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> HTMLResponse:
        # A browser sends every field of the filter form, empty ones included: empty means "any".
        now = service.clock()
        cases = service.inbox_for(
            who.user,
            InboxQuery(
                states=_states(state),
                severities=_one_of(Severity, severity),
                risk_areas=_one_of(RiskArea, risk_area),
                school_id=school_id.strip() or None,
                overdue_at=now if overdue else None,
                limit=PAGE_SIZE + 1,
                offset=offset,
            ),
        )
        filters = {
            "severity": severity,
            "state": state,
            "risk_area": risk_area,
            "school_id": school_id,
            "overdue": "true" if overdue else "",
        }
        return render(
            request,
            "inbox.html",
            who=who,
            cases=cases[:PAGE_SIZE],
            now=now,
            filters=filters,
            query=urlencode({name: value for name, value in filters.items() if value}),
            offset=offset,
            page_size=PAGE_SIZE,
            has_next=len(cases) > PAGE_SIZE,
            severities=list(Severity),
            states=list(CaseState),
            risk_areas=list(RiskArea),
        )

    @router.get("/cases/{case_id}")
    def case_page(
        request: Request, case_id: str, who: CallerDep, service: ServiceDep, done: str = ""
    ) -> HTMLResponse:
        return _case_page(request, case_id, who, service, done=done)

    @router.post("/cases/{case_id}/actions")
    def act(
        request: Request,
        case_id: str,
        who: CallerDep,
        service: ServiceDep,
        action: Annotated[Action, Form()],
        csrf_token: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        assignee: Annotated[str, Form()] = "",
        resolution: Annotated[str, Form()] = "",
        files: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        check_csrf(who, web_context(request).keys, csrf_token)
        store = web_context(request).attachments
        try:
            attachments = tuple(
                store.put(upload.filename or "", upload.file.read())
                for upload in files or ()
                if upload.filename
            )
            service.act(
                who.user,
                TakeAction(
                    case_id=case_id,
                    action=action,
                    actor=who.user.username,
                    comment=comment,
                    attachments=attachments,
                    assignee=assignee.strip() or None,
                    resolution=_resolution(resolution),
                ),
            )
        except (InvalidTransition, InvalidAttachment) as exc:
            return _case_page(request, case_id, who, service, error=str(exc), status_code=422)
        return see_other(f"/cases/{case_id}?done={action.value}")

    @router.get("/cases/{case_id}/attachments/{sha256}")
    def download(
        request: Request, case_id: str, sha256: str, who: CallerDep, service: ServiceDep
    ) -> Response:
        return attachment_response(request, service, who.user, case_id, sha256)

    @router.get("/cases/{case_id}/audit-bundle")
    def audit_bundle(case_id: str, who: CallerDep, service: ServiceDep) -> Response:
        return audit_bundle_response(service, who.user, case_id, ReadChannel.CONSOLE)

    @router.get("/summary")
    def summary(request: Request, who: CallerDep, service: ServiceDep) -> HTMLResponse:
        language = language_of(request)
        english, t = language is Language.EN, translator(language)
        figures = service.summary_for(who.user)
        times = figures.close_times
        return render(
            request,
            "summary.html",
            who=who,
            summary=figures,
            tables=[
                ("by_risk_area", [(t(a), n) for a, n in figures.by_risk_area.most_common()]),
                (
                    "by_school",
                    [(s or t("district_level"), n) for s, n in figures.by_school.most_common()],
                ),
                ("by_rule", figures.by_rule.most_common()),
                ("by_state", [(t(s), n) for s, n in figures.by_state.most_common()]),
            ],
            close_times={
                "count": times.count,
                "median": duration_text(times.median, english),
                "p90": duration_text(times.p90, english),
                "mean": duration_text(times.mean, english),
            },
            outcomes=service.outcomes_by_rule(),
            severities=list(Severity),
            resolutions=list(Resolution),
        )

    return router


def _one_of(kind: type[E], text: str) -> frozenset[E] | None:
    if not text:
        return None
    try:
        return frozenset({kind(text)})
    except ValueError as exc:
        raise InvalidFilter(f"筛选条件无效 / no {kind.__name__} is called {text!r}") from exc


def _states(text: str) -> frozenset[CaseState]:
    if text == "open":
        return OPEN_STATES
    if text == "all":
        return frozenset(CaseState)
    states = _one_of(CaseState, text)
    if states is None:
        raise InvalidFilter("筛选条件无效 / choose a state, 'open' or 'all'")
    return states


def _resolution(text: str) -> Resolution | None:
    if not text:
        return None
    try:
        return Resolution(text)
    except ValueError as exc:
        raise InvalidTransition(f"未知的处置结论 / unknown resolution code {text!r}") from exc


def _login_form(
    request: Request, next: str, *, error: str = "", status_code: int = 200
) -> HTMLResponse:
    keys = web_context(request).keys
    token = new_login_csrf()
    response = render(
        request, "login.html", login_csrf=token, next=next, error=error, status_code=status_code
    )
    keys.set_cookie(response, LOGIN_CSRF_COOKIE, keys.signed(token, "login"), same_site="strict")
    return response


def _case_page(
    request: Request,
    case_id: str,
    who: Caller,
    service: AlertingService,
    *,
    done: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    context = web_context(request)
    english = language_of(request) is Language.EN
    file = service.case_file(who.user, case_id, ReadChannel.CONSOLE)
    colleagues = [user for user in service.users() if user.sees(file.case) and user.acts_on_cases]
    return render(
        request,
        "case.html",
        who=who,
        status_code=status_code,
        file=file,
        case=file.case,
        now=service.clock(),
        evidence=[
            (alert, evidence_fields(alert, context.timezone, english)) for alert in file.evidence
        ],
        action_rules=ACTION_RULES,
        resolutions=list(Resolution),
        Resolution=Resolution,
        colleagues=colleagues,
        done=done,
        error=error,
    )
