"""Counts for the metrics gauges and the per-rule outcome summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.alerting.domain.alerts import Severity
from services.alerting.domain.resolutions import RuleOutcomes, rule_outcomes
from services.alerting.domain.workflow import CaseState
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class CaseCounts:
    by_state_and_severity: dict[tuple[CaseState, Severity], int]
    overdue: int


def case_counts(uow: AbstractUnitOfWork, *, now: datetime) -> CaseCounts:
    with uow:
        return CaseCounts(uow.cases.count_by_state_and_severity(), uow.cases.count_overdue(now))


def outcomes_by_rule(uow: AbstractUnitOfWork) -> list[RuleOutcomes]:
    with uow:
        return rule_outcomes(uow.cases.resolutions_by_rule())
