"""Alerts to cases: grouping by school, rule and subject; duplicates; recurrence; conflict of interest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qinglian.settings import Settings
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.alerts import Severity, Subject, SubjectKind
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.grouping import GroupingPolicy, Recurrence
from services.alerting.domain.history import EntryKind
from services.alerting.domain.policy import AlertingPolicy
from services.alerting.domain.workflow import Action, CaseState, Resolution
from services.alerting.service_layer.alerts import Outcome
from services.alerting.service_layer.unit_of_work import InboxQuery, Scope
from services.alerting.testing import ManualClock, sample_alert

from .conftest import PRINCIPAL


def all_cases(service: AlertingService) -> list:
    return service.inbox(InboxQuery(states=frozenset(CaseState), limit=1000))


def close(service: AlertingService, case_id: str) -> None:
    for action in (
        Action.ASSIGN,
        Action.INVESTIGATE,
        Action.RECTIFY,
        Action.SUBMIT_FOR_REVIEW,
        Action.APPROVE,
    ):
        service.take_action(TakeAction(case_id, action, actor="u", comment="ok", assignee="a1"))


def test_alerts_about_the_same_school_rule_and_subject_form_one_case(
    service: AlertingService,
) -> None:
    first, second = sample_alert(), sample_alert()
    report = service.ingest([first, second])
    assert report.outcomes == {Outcome.OPENED_CASE: 1, Outcome.ADDED_TO_CASE: 1}
    case_id = report.case_ids[first.alert_id]
    assert report.case_ids[second.alert_id] == case_id
    assert service.case(case_id).alert_count == 2
    assert {a.alert_id for a in service.evidence(case_id)} == {first.alert_id, second.alert_id}
    assert [e.kind for e in service.history(case_id)] == [
        EntryKind.OPENED,
        EntryKind.EVIDENCE_ADDED,
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"school_id": "500102002"},
        {"rule_id": "C7"},
        {"subject": Subject(SubjectKind.VENDOR, "91500102MA5U000002")},
        {"subject": Subject(SubjectKind.CONTRACT, "91500102MA5U000001")},
    ],
)
def test_a_different_school_rule_or_subject_opens_another_case(
    service: AlertingService, other: dict
) -> None:
    report = service.ingest([sample_alert(), sample_alert(**other)])
    assert report.outcomes == {Outcome.OPENED_CASE: 2}


def test_the_same_alert_id_twice_is_a_no_op(
    service: AlertingService, uow: MemoryUnitOfWork
) -> None:
    alert = sample_alert()
    service.ingest([alert])
    state_after_first = uow.state
    assert service.ingest([alert]).outcomes == {Outcome.DUPLICATE: 1}
    assert service.ingest([alert, alert]).outcomes == {Outcome.DUPLICATE: 2}
    (case,) = all_cases(service)
    assert case.alert_count == 1 and case.history_count == 1
    assert uow.state.history == state_after_first.history


def test_a_duplicate_within_one_batch_is_counted_once(service: AlertingService) -> None:
    alert = sample_alert()
    assert service.ingest([alert, alert]).outcomes == {Outcome.OPENED_CASE: 1, Outcome.DUPLICATE: 1}


def test_a_more_severe_alert_raises_the_case_and_tightens_its_deadline(
    service: AlertingService,
) -> None:
    report = service.ingest([sample_alert(severity=Severity.YELLOW)])
    (case_id,) = report.case_ids.values()
    yellow_deadline = service.case(case_id).deadline_at
    service.ingest([sample_alert(severity=Severity.RED)])
    case = service.case(case_id)
    assert case.severity is Severity.RED
    assert case.deadline_at < yellow_deadline
    assert service.history(case_id)[-1].details["severity_raised_from"] == "yellow"


def test_an_alert_on_an_open_case_is_evidence_however_late(service: AlertingService) -> None:
    first = sample_alert()
    (case_id,) = service.ingest([first]).case_ids.values()
    later = sample_alert(event_time=first.event_time + timedelta(days=200))
    assert service.ingest([later]).case_ids[later.alert_id] == case_id


def test_an_alert_recurring_after_close_reopens_the_case(
    service: AlertingService, clock: ManualClock
) -> None:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    close(service, case_id)
    recurring = sample_alert(event_time=clock.advance(days=3))
    report = service.ingest([recurring])
    assert report.outcomes == {Outcome.REOPENED_CASE: 1}
    case = service.case(case_id)
    assert (case.state, case.resolution, case.alert_count) == (CaseState.NEW, None, 2)
    reopen, evidence = service.history(case_id)[-2:]
    assert (reopen.action, reopen.actor, evidence.kind) == (
        Action.REOPEN,
        "system:alerting",
        EntryKind.EVIDENCE_ADDED,
    )


def test_with_the_link_policy_a_recurrence_opens_a_linked_case(
    settings: Settings, clock: ManualClock
) -> None:
    policy = AlertingPolicy(grouping=GroupingPolicy(recurrence=Recurrence.LINK))
    service = bootstrap(settings, uow=MemoryUnitOfWork(), policy=policy, clock=clock)
    (first_id,) = service.ingest([sample_alert()]).case_ids.values()
    close(service, first_id)
    recurring = sample_alert(event_time=clock.advance(days=3))
    report = service.ingest([recurring])
    assert report.outcomes == {Outcome.OPENED_CASE: 1}
    linked = service.case(report.case_ids[recurring.alert_id])
    assert linked.linked_case_id == first_id
    assert service.case(first_id).state is CaseState.CLOSED


def test_a_recurrence_after_the_window_opens_a_new_case_linked_to_the_old(
    service: AlertingService, clock: ManualClock
) -> None:
    (first_id,) = service.ingest([sample_alert()]).case_ids.values()
    close(service, first_id)
    much_later = sample_alert(event_time=clock.advance(days=31))
    report = service.ingest([much_later])
    assert report.outcomes == {Outcome.OPENED_CASE: 1}
    assert service.case(report.case_ids[much_later.alert_id]).linked_case_id == first_id


def test_a_late_alert_about_events_before_the_close_is_evidence_for_the_closed_case(
    service: AlertingService, clock: ManualClock
) -> None:
    first = sample_alert()
    (case_id,) = service.ingest([first]).case_ids.values()
    clock.advance(days=5)
    close(service, case_id)
    late = sample_alert(event_time=first.event_time + timedelta(hours=1))
    assert service.ingest([late]).outcomes == {Outcome.ADDED_TO_CASE: 1}
    assert service.case(case_id).state is CaseState.CLOSED


def test_a_transferred_case_is_never_reopened_by_a_recurrence(
    service: AlertingService, clock: ManualClock
) -> None:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    service.take_action(TakeAction(case_id, Action.TRANSFER, actor="u", comment="移送纪委"))
    recurring = sample_alert(event_time=clock.advance(days=1))
    report = service.ingest([recurring])
    assert report.outcomes == {Outcome.OPENED_CASE: 1}
    assert service.case(report.case_ids[recurring.alert_id]).linked_case_id == case_id
    assert service.case(case_id).state is CaseState.TRANSFERRED


def test_a_dismissed_case_recurring_is_reopened_for_a_second_look(
    service: AlertingService, clock: ManualClock
) -> None:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    service.take_action(
        TakeAction(
            case_id,
            Action.DISMISS,
            actor="u",
            comment="已说明",
            resolution=Resolution.FALSE_POSITIVE,
        )
    )
    service.ingest([sample_alert(event_time=clock.advance(days=2))])
    assert service.case(case_id).state is CaseState.NEW


def test_a_case_about_the_principal_goes_to_the_district_and_not_to_the_school(
    service: AlertingService,
) -> None:
    about_principal = sample_alert(subject=Subject(SubjectKind.STAFF, PRINCIPAL))
    about_teacher = sample_alert(subject=Subject(SubjectKind.STAFF, "pn:" + "b" * 32))
    report = service.ingest([about_principal, about_teacher])
    routed = service.case(report.case_ids[about_principal.alert_id])
    assert routed.routed_to_district
    assert "principal" in service.history(routed.id)[0].details["routed_to_district"]
    assert not service.case(report.case_ids[about_teacher.alert_id]).routed_to_district
    school_inbox = service.inbox(
        InboxQuery(scope=Scope(district_id="500102", school_id="500102001"))
    )
    district_inbox = service.inbox(InboxQuery(scope=Scope(district_id="500102")))
    assert routed.id not in {c.id for c in school_inbox}
    assert routed.id in {c.id for c in district_inbox}


def test_an_alert_about_no_single_school_is_a_district_case(service: AlertingService) -> None:
    alert = sample_alert(
        school_id=None, rule_id="V10", subject=Subject(SubjectKind.VENDOR, "91500102MA5U000009")
    )
    case = service.case(service.ingest([alert]).case_ids[alert.alert_id])
    assert case.routed_to_district and case.key.school_id is None
