"""Workflow actions on one case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.alerting.domain.case import Case
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.history import HistoryEntry
from services.alerting.errors import CaseNotFound
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


def get_case(uow: AbstractUnitOfWork, case_id: str) -> Case:
    case = uow.cases.get(case_id)
    if case is None:
        raise CaseNotFound(f"案件 {case_id} 不存在 / no case has id {case_id}")
    return case


def take_action(
    command: TakeAction,
    uow: AbstractUnitOfWork,
    *,
    deadlines: Deadlines,
    now: datetime,
    check: Callable[[Case], None] | None = None,
) -> tuple[Case, HistoryEntry]:
    """Apply one workflow action and store its history entry; refused actions change nothing.

    ``check`` sees the case first, in the same transaction, and may refuse by raising
    (the console's and the API's access rules).
    """
    with uow:
        case = get_case(uow, command.case_id)
        if check is not None:
            check(case)
        entry = case.take_action(
            command.action,
            actor=command.actor,
            now=now,
            deadlines=deadlines,
            comment=command.comment,
            attachments=command.attachments,
            assignee=command.assignee,
            resolution=command.resolution,
        )
        uow.commit()
    return case, entry
