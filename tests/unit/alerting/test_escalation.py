"""Escalation (督办): who is reminded when, and that a reminder is decided and sent once."""

from __future__ import annotations

import copy
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

import pytest

from qinglian.settings import Settings
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.alerts import Subject, SubjectKind
from services.alerting.domain.case import Case
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.escalation import (
    Audience,
    EscalationPolicy,
    Recipient,
    due_escalations,
)
from services.alerting.domain.history import EntryKind
from services.alerting.domain.notifications import (
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotificationStatus,
)
from services.alerting.domain.workflow import Action
from services.alerting.service_layer.escalations import MAX_DELIVERY_ATTEMPTS
from services.alerting.testing import ManualClock, sample_alert

from .conftest import PRINCIPAL

OPENED = datetime.fromisoformat("2026-09-28T10:00:00+08:00")
# An orange case opened Monday 28 Sept has 2 working days to be triaged: due at the end of Wednesday 30 Sept.
DUE = datetime.fromisoformat("2026-10-01T00:00:00+08:00")
POLICY = EscalationPolicy()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def case(deadlines: Deadlines) -> Case:
    case = Case.open("case-1", sample_alert(), now=OPENED, deadlines=deadlines)
    assert case.deadline_at == DUE
    return case


def due(
    case: Case, now: datetime, deadlines: Deadlines, sent: set[str] = frozenset(), **policy: object
) -> list:
    return due_escalations(
        case,
        sent_keys=sent,
        now=now,
        policy=EscalationPolicy(**policy) if policy else POLICY,
        deadlines=deadlines,
    )


def test_nothing_is_due_before_the_deadline(case: Case, deadlines: Deadlines) -> None:
    assert due(case, DUE - timedelta(seconds=1), deadlines, quiet_on_rest_days=False) == []


def test_at_the_deadline_the_schools_supervisor_is_reminded_once(
    case: Case, deadlines: Deadlines
) -> None:
    (step,) = due(case, DUE, deadlines, quiet_on_rest_days=False)
    assert step.recipient == Recipient(Audience.SCHOOL, "500102001", "supervisor")
    assert (step.level, step.slot, step.due_at) == (0, 0, DUE)
    assert (
        due(case, DUE + timedelta(hours=5), deadlines, {step.key}, quiet_on_rest_days=False) == []
    )


def test_the_decision_is_the_same_every_time_it_is_asked(case: Case, deadlines: Deadlines) -> None:
    now = DUE + timedelta(hours=3)
    assert due(case, now, deadlines, quiet_on_rest_days=False) == due(
        case, now, deadlines, quiet_on_rest_days=False
    )


def test_reminders_repeat_and_then_climb_to_the_district(case: Case, deadlines: Deadlines) -> None:
    sent: set[str] = set()
    timeline = []
    for hours in range(0, 24 * 4, 6):
        for step in due(
            case, DUE + timedelta(hours=hours), deadlines, sent, quiet_on_rest_days=False
        ):
            sent.add(step.key)
            timeline.append((hours, step.recipient.role, step.slot))
    assert timeline == [
        (0, "supervisor", 0),
        (24, "supervisor", 1),
        (48, "discipline_team", 0),
        (72, "discipline_team", 1),
    ]


def test_no_reminders_on_rest_days_the_current_one_comes_on_the_next_working_day(
    case: Case, deadlines: Deadlines
) -> None:
    assert due(case, at("2026-10-03T10:00:00+08:00"), deadlines) == [], "3 October is a holiday"
    (step,) = due(case, at("2026-10-08T09:00:00+08:00"), deadlines)
    assert (step.recipient.role, step.slot) == ("discipline_team", 5), (
        "missed slots are not sent late"
    )


def test_a_case_routed_to_the_district_never_reminds_the_school(deadlines: Deadlines) -> None:
    case = Case.open(
        "case-2",
        sample_alert(subject=Subject(SubjectKind.STAFF, PRINCIPAL)),
        now=OPENED,
        deadlines=deadlines,
        leader_role="principal",
    )
    (step,) = due(case, DUE, deadlines, quiet_on_rest_days=False)
    assert step.recipient == Recipient(Audience.DISTRICT, "500102", "supervisor")


def test_a_new_stage_starts_a_new_ladder(case: Case, deadlines: Deadlines) -> None:
    (first,) = due(case, DUE, deadlines, quiet_on_rest_days=False)
    case.take_action(
        Action.ASSIGN, actor="u", now=DUE + timedelta(hours=1), deadlines=deadlines, assignee="a1"
    )
    assert not case.is_overdue(DUE + timedelta(hours=1))
    later = case.deadline_at
    (second,) = due(case, later, deadlines, {first.key}, quiet_on_rest_days=False)
    assert second.key != first.key and second.slot == 0


def test_a_finished_case_is_not_escalated(case: Case, deadlines: Deadlines) -> None:
    case.take_action(Action.TRANSFER, actor="u", now=OPENED, deadlines=deadlines, comment="移送")
    assert due(case, DUE + timedelta(days=3), deadlines, quiet_on_rest_days=False) == []


class FailingNotifier:
    channel = "webhook"

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def send(
        self, notification: Notification, *, delivered: AbstractSet[str]
    ) -> list[DeliveryAttempt]:
        self.attempts.append(notification.key)
        return [
            DeliveryAttempt(
                notification_key=notification.key,
                case_id=notification.case_id,
                channel="district-hook",
                kind="webhook",
                target="http://receiver.invalid/hook",
                attempt=1,
                status=DeliveryStatus.FAILED,
                at=OPENED,
                error="receiver answered 503",
            )
        ]


def overdue_case(service: AlertingService, clock: ManualClock) -> str:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    clock.now = at("2026-10-08T09:00:00+08:00")
    return case_id


def test_the_scheduler_records_each_reminder_once_with_its_outbox_row(
    service: AlertingService, clock: ManualClock, uow: MemoryUnitOfWork, notifier: LogNotifier
) -> None:
    case_id = overdue_case(service, clock)
    (step,) = service.escalate()
    assert service.escalate() == [], "a second pass at the same time records nothing"
    assert list(uow.state.notifications) == [step.key]
    assert service.history(case_id)[-1].kind is EntryKind.ESCALATED
    assert [d.delivered for d in service.dispatch_notifications()] == [True]
    assert service.dispatch_notifications() == []
    assert notifier.sent == [step.key]
    sent = service.metrics.registry.get_sample_value(
        "qinglian_alerting_notifications_total", {"channel": "log", "result": "sent"}
    )
    assert sent == 1


def test_a_restarted_scheduler_does_not_send_again(
    settings: Settings, service: AlertingService, clock: ManualClock, uow: MemoryUnitOfWork
) -> None:
    overdue_case(service, clock)
    service.escalate()
    restarted = bootstrap(settings, uow=MemoryUnitOfWork(copy.deepcopy(uow.state)), clock=clock)
    assert restarted.escalate() == []
    clock.advance(days=1)
    assert len(restarted.escalate()) == 1, "the next slot is due a day later"


def test_a_failed_delivery_is_retried_then_given_up(
    settings: Settings, service: AlertingService, clock: ManualClock
) -> None:
    overdue_case(service, clock)
    service.escalate()
    failing = FailingNotifier()
    sender = bootstrap(settings, uow=service.uow, clock=clock, notifier=failing)
    for _ in range(MAX_DELIVERY_ATTEMPTS + 2):
        sender.dispatch_notifications()
    assert len(failing.attempts) == MAX_DELIVERY_ATTEMPTS
    with service.uow:
        assert service.uow.escalations.pending_notifications(10) == []
    (notification,) = service.uow.state.notifications.values()
    assert notification.status is NotificationStatus.FAILED
    assert notification.last_error == "district-hook: receiver answered 503"
    with service.uow:
        log = service.uow.deliveries.for_case(notification.case_id)
    assert [entry.status for entry in log] == [DeliveryStatus.FAILED] * MAX_DELIVERY_ATTEMPTS
    failed = sender.metrics.registry.get_sample_value(
        "qinglian_alerting_notifications_total", {"channel": "webhook", "result": "failed"}
    )
    assert failed == MAX_DELIVERY_ATTEMPTS


def test_acting_on_an_overdue_case_stops_its_reminders(
    service: AlertingService, clock: ManualClock
) -> None:
    case_id = overdue_case(service, clock)
    service.escalate()
    service.take_action(TakeAction(case_id, Action.ASSIGN, actor="lead", assignee="a1"))
    clock.advance(hours=1)
    assert service.escalate() == []
