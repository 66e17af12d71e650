"""Alerts to cases: one batch, one transaction."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.alerting.domain.alerts import Alert, CaseKey
from services.alerting.domain.case import SYSTEM_ACTOR, Case
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.grouping import (
    AddEvidence,
    GroupingPolicy,
    OpenCase,
    Reopen,
    leader_role,
    place_alert,
)
from services.alerting.domain.silences import matching_silence
from services.alerting.domain.workflow import Action
from services.alerting.service_layer.ports import LeadersDirectory
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


class Outcome(enum.Enum):
    OPENED_CASE = "opened_case"
    ADDED_TO_CASE = "added_to_case"
    REOPENED_CASE = "reopened_case"
    SUPPRESSED = "suppressed"
    DUPLICATE = "duplicate"


@dataclass
class IngestReport:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    case_ids: dict[str, str] = field(default_factory=dict)

    def record(self, alert: Alert, outcome: Outcome, case_id: str | None = None) -> None:
        self.outcomes[outcome] += 1
        if case_id is not None:
            self.case_ids[alert.alert_id] = case_id


def ingest_alerts(
    alerts: Sequence[Alert],
    uow: AbstractUnitOfWork,
    *,
    grouping: GroupingPolicy,
    deadlines: Deadlines,
    leaders: LeadersDirectory,
    now: datetime,
    new_id: Callable[[], str],
) -> IngestReport:
    """Store a batch of alerts as cases in one transaction; an alert id already stored is a no-op."""
    report = IngestReport()
    with uow:
        known = uow.alerts.known_ids({alert.alert_id for alert in alerts})
        fresh: dict[str, Alert] = {}
        for alert in alerts:
            if alert.alert_id in known or alert.alert_id in fresh:
                report.record(alert, Outcome.DUPLICATE)
            else:
                fresh[alert.alert_id] = alert
        silences = uow.silences.active(now)
        latest: dict[CaseKey, Case] = uow.cases.latest_for_keys(
            {alert.case_key for alert in fresh.values()}
        )
        for alert in fresh.values():
            silence = matching_silence(alert, silences, now)
            if silence is not None:
                uow.alerts.add_suppressed(alert, silence.id, now)
                report.record(alert, Outcome.SUPPRESSED)
                continue
            match place_alert(alert, latest.get(alert.case_key), grouping):
                case OpenCase(linked_case_id=linked_case_id):
                    opened = Case.open(
                        new_id(),
                        alert,
                        now=now,
                        deadlines=deadlines,
                        leader_role=_leader_role(alert, leaders),
                        linked_case_id=linked_case_id,
                    )
                    uow.cases.add(opened)
                    latest[alert.case_key] = opened
                    report.record(alert, Outcome.OPENED_CASE, opened.id)
                case Reopen():
                    recurred = latest[alert.case_key]
                    recurred.take_action(
                        Action.REOPEN,
                        actor=SYSTEM_ACTOR,
                        now=now,
                        deadlines=deadlines,
                        comment=f"告警复发，自动重新打开 / alert {alert.alert_id} recurred",
                    )
                    recurred.add_evidence(alert, now=now, deadlines=deadlines)
                    report.record(alert, Outcome.REOPENED_CASE, recurred.id)
                case AddEvidence():
                    existing = latest[alert.case_key]
                    existing.add_evidence(alert, now=now, deadlines=deadlines)
                    report.record(alert, Outcome.ADDED_TO_CASE, existing.id)
        uow.commit()
    return report


def _leader_role(alert: Alert, leaders: LeadersDirectory) -> str | None:
    return (
        None if alert.school_id is None else leader_role(alert, leaders.leaders_of(alert.school_id))
    )
