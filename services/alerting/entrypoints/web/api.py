"""The REST API under /api/v1 (OpenAPI at /openapi.json); authenticated by bearer token or session.

Every endpoint answers in the user's scope: a case outside it is 404, like one
that does not exist. Errors are ``{"error": code, "message": text}`` (see ``errors``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response

from services.alerting.adapters.bundle_archive import zip_bytes
from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import User
from services.alerting.domain.accounts import ReadChannel
from services.alerting.domain.alerts import RiskArea, Severity
from services.alerting.domain.commands import CreateSilence, ExpireSilence, TakeAction
from services.alerting.domain.history import Attachment
from services.alerting.domain.silences import Matcher
from services.alerting.domain.workflow import OPEN_STATES, CaseState
from services.alerting.entrypoints.web import schemas
from services.alerting.entrypoints.web.auth import CSRF_HEADER, SAFE_METHODS, Caller, check_csrf
from services.alerting.entrypoints.web.context import caller, request_service, web_context
from services.alerting.errors import AccessDenied
from services.alerting.service_layer.unit_of_work import InboxQuery

MAX_PAGE = 200
ERRORS = {
    401: {"model": schemas.Problem, "description": "未登录或令牌无效 / Not authenticated"},
    403: {"model": schemas.Problem, "description": "无权操作或 CSRF 校验失败 / Forbidden"},
    404: {
        "model": schemas.Problem,
        "description": "案件不存在或不在您的范围内 / Not found or out of scope",
    },
    409: {"model": schemas.Problem, "description": "案件同时被他人修改 / Changed concurrently"},
    422: {
        "model": schemas.Problem,
        "description": "请求不合规则 / Refused by the workflow or invalid",
    },
}


def api_caller(request: Request, who: Annotated[Caller, Depends(caller)]) -> Caller:
    """The caller, with the CSRF header checked on state-changing requests made with a session cookie."""
    if request.method not in SAFE_METHODS:
        check_csrf(who, web_context(request).keys, request.headers.get(CSRF_HEADER))
    return who


CallerDep = Annotated[Caller, Depends(api_caller)]
ServiceDep = Annotated[AlertingService, Depends(request_service)]


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise AccessDenied(f"您的角色无权{what} / your role may not do this")


def create_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=ERRORS)

    @router.get("/me", response_model=schemas.Me, tags=["account"], summary="当前用户 / Who am I")
    def me(request: Request, who: CallerDep) -> schemas.Me:
        return schemas.Me.of(who.user, who.csrf_token(web_context(request).keys))

    @router.get(
        "/cases", response_model=schemas.InboxPage, tags=["cases"], summary="待办案件 / Inbox"
    )
    def inbox(
        who: CallerDep,
        service: ServiceDep,
        severity: Annotated[list[Severity] | None, Query()] = None,
        state: Annotated[
            list[CaseState] | None, Query(description="默认未办结 / Default: every open state.")
        ] = None,
        risk_area: Annotated[list[RiskArea] | None, Query()] = None,
        school_id: str | None = None,
        overdue: Annotated[bool, Query(description="只看逾期 / Only overdue cases.")] = False,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> schemas.InboxPage:
        now = service.clock()
        cases = service.inbox_for(
            who.user,
            InboxQuery(
                states=frozenset(state) if state else OPEN_STATES,
                severities=frozenset(severity) if severity else None,
                risk_areas=frozenset(risk_area) if risk_area else None,
                school_id=school_id,
                overdue_at=now if overdue else None,
                limit=limit + 1,
                offset=offset,
            ),
        )
        return schemas.InboxPage(
            items=[schemas.CaseItem.of(case, now) for case in cases[:limit]],
            limit=limit,
            offset=offset,
            next_offset=offset + limit if len(cases) > limit else None,
        )

    @router.get(
        "/cases/{case_id}",
        response_model=schemas.CaseDetail,
        tags=["cases"],
        summary="案件详情（含证据，记录查阅）/ Case detail with evidence (the read is logged)",
    )
    def case_detail(case_id: str, who: CallerDep, service: ServiceDep) -> schemas.CaseDetail:
        file = service.case_file(who.user, case_id, ReadChannel.API)
        return schemas.CaseDetail.of_file(file, service.clock())

    @router.get(
        "/cases/{case_id}/history",
        response_model=schemas.History,
        tags=["cases"],
        summary="处置记录与哈希链校验 / History and its hash-chain status (the read is logged)",
    )
    def case_history(case_id: str, who: CallerDep, service: ServiceDep) -> schemas.History:
        entries, chain = service.case_history(who.user, case_id, ReadChannel.API)
        return schemas.History(
            case_id=case_id,
            chain=schemas.Chain.of(chain),
            entries=[schemas.Entry.of(entry) for entry in entries],
        )

    @router.post(
        "/cases/{case_id}/actions",
        response_model=schemas.ActionResult,
        tags=["cases"],
        summary="处置操作 / Take a workflow action",
    )
    def act(
        case_id: str, body: schemas.ActionRequest, who: CallerDep, service: ServiceDep
    ) -> schemas.ActionResult:
        case, entry = service.act(
            who.user,
            TakeAction(
                case_id=case_id,
                action=body.action,
                actor=who.user.username,
                comment=body.comment,
                attachments=tuple(Attachment(a.name, a.sha256) for a in body.attachments),
                assignee=body.assignee,
                resolution=body.resolution,
            ),
        )
        return schemas.ActionResult(
            case=schemas.CaseItem.of(case, service.clock()), entry=schemas.Entry.of(entry)
        )

    @router.post(
        "/attachments",
        response_model=schemas.AttachmentRef,
        tags=["cases"],
        summary="上传附件 / Upload an attachment; returns its name and sha256",
    )
    def upload(request: Request, file: UploadFile, who: CallerDep) -> schemas.AttachmentRef:
        _require(who.user.acts_on_cases, "上传附件")
        stored = web_context(request).attachments.put(file.filename or "", file.file.read())
        return schemas.AttachmentRef(name=stored.name, sha256=stored.sha256)

    @router.get(
        "/cases/{case_id}/attachments/{sha256}",
        tags=["cases"],
        summary="下载附件 / Download an attachment of a case",
        response_class=Response,
    )
    def download(
        request: Request, case_id: str, sha256: str, who: CallerDep, service: ServiceDep
    ) -> Response:
        return attachment_response(request, service, who.user, case_id, sha256)

    @router.get(
        "/silences",
        response_model=list[schemas.SilenceItem],
        tags=["silences"],
        summary="屏蔽列表 / Silences, newest first",
    )
    def list_silences(who: CallerDep, service: ServiceDep) -> list[schemas.SilenceItem]:
        _require(who.user.reads_silences, "查看屏蔽")
        now = service.clock()
        return [schemas.SilenceItem.of(silence, now) for silence in service.silences()]

    @router.post(
        "/silences",
        response_model=schemas.SilenceItem,
        status_code=201,
        tags=["silences"],
        summary="新增屏蔽 / Create a silence",
    )
    def create_silence(
        body: schemas.SilenceRequest, who: CallerDep, service: ServiceDep
    ) -> schemas.SilenceItem:
        _require(who.user.manages_silences, "新增屏蔽")
        silence = service.create_silence(
            CreateSilence(
                matchers=tuple(Matcher.parse(text) for text in body.matchers),
                starts_at=body.starts_at or service.clock(),
                ends_at=body.ends_at,
                created_by=who.user.username,
                comment=body.comment,
            )
        )
        return schemas.SilenceItem.of(silence, service.clock())

    @router.delete(
        "/silences/{silence_id}",
        response_model=schemas.SilenceItem,
        tags=["silences"],
        summary="提前结束屏蔽 / Expire a silence now",
    )
    def expire_silence(silence_id: str, who: CallerDep, service: ServiceDep) -> schemas.SilenceItem:
        _require(who.user.manages_silences, "结束屏蔽")
        ended = service.expire_silence(ExpireSilence(silence_id, who.user.username))
        return schemas.SilenceItem.of(ended, service.clock())

    @router.get(
        "/summary",
        response_model=schemas.SummaryOut,
        tags=["reports"],
        summary="统计：按领域、学校、规则、状态计数与办结用时 / Counts and time to close, in scope",
    )
    def summary(who: CallerDep, service: ServiceDep) -> schemas.SummaryOut:
        return schemas.SummaryOut.of(service.summary_for(who.user))

    @router.get(
        "/outcomes",
        response_model=list[schemas.RuleOutcome],
        tags=["reports"],
        summary="各规则处置结论与误报率 / Resolutions and false-positive rate per rule",
    )
    def outcomes(who: CallerDep, service: ServiceDep) -> list[schemas.RuleOutcome]:
        return [schemas.RuleOutcome.of(outcome) for outcome in service.outcomes_by_rule()]

    @router.get(
        "/audit/chains",
        response_model=schemas.AuditReport,
        tags=["audit"],
        summary="校验全部处置记录哈希链 / Verify every case's hash chain (auditors, administrators)",
    )
    def verify_chains(who: CallerDep, service: ServiceDep) -> schemas.AuditReport:
        _require(who.user.audits, "审计")
        result = service.verify_histories()
        return schemas.AuditReport(
            checked=result.checked,
            intact=result.intact,
            broken={b.case_id: schemas.Chain.of(b.status) for b in result.broken},
        )

    @router.get(
        "/cases/{case_id}/audit-bundle",
        tags=["audit"],
        summary="导出审计包（zip，可离线校验；记录查阅）/ The case's audit bundle as a zip, "
        "checkable offline with `qinglian audit verify` (auditors, administrators; the read is logged)",
        response_class=Response,
        responses={200: {"content": {"application/zip": {}}}},
    )
    def audit_bundle(case_id: str, who: CallerDep, service: ServiceDep) -> Response:
        return audit_bundle_response(service, who.user, case_id, ReadChannel.API)

    @router.get(
        "/access-log",
        response_model=list[schemas.CaseReadItem],
        tags=["audit"],
        summary="个人信息查阅记录 / Who read which case (auditors, administrators)",
    )
    def access_log(
        who: CallerDep,
        service: ServiceDep,
        case_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[schemas.CaseReadItem]:
        _require(who.user.audits, "查看查阅记录")
        reads = service.case_reads(case_id=case_id, limit=limit)
        return [schemas.CaseReadItem.of(read) for read in reads]

    return router


def attachment_response(
    request: Request, service: AlertingService, user: User, case_id: str, sha256: str
) -> Response:
    """The attachment's bytes, if it belongs to a case the user sees (shared by the API and the console)."""
    name = service.attachment_name(user, case_id, sha256)
    content = web_context(request).attachments.read(sha256)
    if content is None:
        return Response(status_code=404)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def audit_bundle_response(
    service: AlertingService, user: User, case_id: str, channel: ReadChannel
) -> Response:
    """The case's audit bundle as a zip download (shared by the API and the console)."""
    export = service.export_for(user, case_id, channel)
    return Response(
        zip_bytes(export.files),
        media_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename=qinglian-audit-{quote(case_id)}.zip"
        },
    )
