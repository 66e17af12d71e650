"""What one signed-in user may see and do: scoped inbox, case files (logged), actions, summary.

A case outside the user's scope is reported as not found, exactly like a case
that does not exist, so its existence is not disclosed either. Every case file
read (evidence and history: personal data) is written to the access log in the
same transaction that reads it: no log row, no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.alerting.domain.access import User
from services.alerting.domain.accounts import CaseRead, ReadChannel
from services.alerting.domain.alerts import Alert
from services.alerting.domain.case import Case
from services.alerting.domain.history import ChainStatus, HistoryEntry, verify_chain
from services.alerting.domain.notifications import DeliveryAttempt
from services.alerting.domain.summary import CaseSummary, summarize
from services.alerting.domain.workflow import Action
from services.alerting.errors import AccessDenied, CaseNotFound
from services.alerting.service_layer.cases import get_case
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork, InboxQuery, Scope

CLOSE_TIMES_SAMPLE = 10_000


@dataclass(frozen=True, slots=True)
class CaseFile:
    case: Case
    evidence: list[Alert]
    history: list[HistoryEntry]
    chain: ChainStatus
    deliveries: list[DeliveryAttempt]
    permitted_actions: list[Action]


def visible_case(uow: AbstractUnitOfWork, user: User, case_id: str) -> Case:
    case = get_case(uow, case_id)
    if not user.sees(case):
        raise CaseNotFound(f"案件 {case_id} 不存在 / no case has id {case_id}")
    return case


def check_may_act(user: User, case: Case, action: Action) -> None:
    """Raise unless ``user`` sees ``case`` and the role allows ``action`` (the state is the workflow's to check)."""
    if not user.sees(case):
        raise CaseNotFound(f"案件 {case.id} 不存在 / no case has id {case.id}")
    if not user.may(action):
        raise AccessDenied(
            f"{user.role.label_zh}无权「{action.label_zh}」/ the {user.role.value} role may not {action.value}"
        )


def inbox(uow: AbstractUnitOfWork, user: User, query: InboxQuery) -> list[Case]:
    scoped = InboxQuery(
        scope=Scope.of(user),
        states=query.states,
        severities=query.severities,
        risk_areas=query.risk_areas,
        school_id=query.school_id,
        overdue_at=query.overdue_at,
        limit=query.limit,
        offset=query.offset,
    )
    with uow:
        return uow.cases.inbox(scoped)


def case_file(
    uow: AbstractUnitOfWork, user: User, case_id: str, *, channel: ReadChannel, now: datetime
) -> CaseFile:
    with uow:
        case = visible_case(uow, user, case_id)
        history = uow.cases.history(case_id)
        evidence = uow.alerts.for_case(case_id)
        deliveries = uow.deliveries.for_case(case_id)
        uow.access_log.add(CaseRead(user.username, case_id, now, channel, "case_file"))
        uow.commit()
    return CaseFile(
        case=case,
        evidence=evidence,
        history=history,
        chain=verify_chain(history, head_hash=case.chain_head, entry_count=case.history_count),
        deliveries=deliveries,
        permitted_actions=user.permitted_actions(case),
    )


def case_history(
    uow: AbstractUnitOfWork, user: User, case_id: str, *, channel: ReadChannel, now: datetime
) -> tuple[list[HistoryEntry], ChainStatus]:
    with uow:
        case = visible_case(uow, user, case_id)
        history = uow.cases.history(case_id)
        uow.access_log.add(CaseRead(user.username, case_id, now, channel, "history"))
        uow.commit()
    return history, verify_chain(history, head_hash=case.chain_head, entry_count=case.history_count)


def record_export(
    uow: AbstractUnitOfWork, user: User, case_id: str, *, channel: ReadChannel, now: datetime
) -> None:
    """Allow ``user`` to export the case's audit bundle (auditors and administrators) and log the read."""
    with uow:
        visible_case(uow, user, case_id)
        if not user.audits:
            raise AccessDenied(
                f"{user.role.label_zh}无权导出审计包 / the {user.role.value} role may not export audit bundles"
            )
        uow.access_log.add(CaseRead(user.username, case_id, now, channel, "audit_export"))
        uow.commit()


def summary(uow: AbstractUnitOfWork, user: User) -> CaseSummary:
    scope = Scope.of(user)
    with uow:
        return summarize(
            uow.cases.summary_counts(scope),
            uow.cases.close_durations(scope, limit=CLOSE_TIMES_SAMPLE),
        )


def attachment_on_case(uow: AbstractUnitOfWork, user: User, case_id: str, sha256: str) -> str:
    """The name of the attachment ``sha256`` on a visible case; CaseNotFound if it is not one of its files."""
    with uow:
        visible_case(uow, user, case_id)
        history = uow.cases.history(case_id)
    for entry in history:
        for attachment in entry.attachments:
            if attachment.sha256 == sha256:
                return attachment.name
    raise CaseNotFound(
        f"案件 {case_id} 没有该附件 / case {case_id} has no attachment {sha256[:12]}…"
    )
