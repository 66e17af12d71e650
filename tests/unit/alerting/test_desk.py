"""The signed-in user's view: scoped inbox and case files, the access log, role-checked actions, summary."""

from __future__ import annotations

import pytest

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import User
from services.alerting.domain.accounts import ReadChannel
from services.alerting.domain.alerts import RiskArea, Subject, SubjectKind
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.workflow import Action, CaseState
from services.alerting.errors import AccessDenied, CaseNotFound, InvalidTransition
from services.alerting.service_layer.unit_of_work import InboxQuery
from services.alerting.testing import ManualClock, add_sample_users, sample_alert

from .conftest import PRINCIPAL


@pytest.fixture
def users(service: AlertingService) -> dict[str, User]:
    return add_sample_users(service)


@pytest.fixture
def cases(service: AlertingService) -> dict[str, str]:
    """An ordinary case at school 001, one about its principal, one at school 002."""
    report = service.ingest(
        [
            sample_alert(alert_id="ordinary"),
            sample_alert(alert_id="principal", subject=Subject(SubjectKind.STAFF, PRINCIPAL)),
            sample_alert(alert_id="neighbour", school_id="500102002", risk_area=RiskArea.FINANCE),
        ]
    )
    return report.case_ids


def inbox_ids(service: AlertingService, user: User) -> set[str]:
    return {case.id for case in service.inbox_for(user, InboxQuery())}


def test_each_user_sees_only_their_scope(
    service: AlertingService, users: dict[str, User], cases: dict[str, str]
) -> None:
    assert inbox_ids(service, users["inspector"]) == set(cases.values())
    assert inbox_ids(service, users["officer"]) == {cases["ordinary"]}
    assert inbox_ids(service, users["neighbour"]) == {cases["neighbour"]}


def test_a_school_officer_cannot_open_a_case_about_their_principal(
    service: AlertingService, users: dict[str, User], cases: dict[str, str]
) -> None:
    for read in (service.case_file, service.case_history):
        with pytest.raises(CaseNotFound):
            read(users["officer"], cases["principal"], ReadChannel.API)
    with pytest.raises(CaseNotFound):
        service.act(
            users["officer"], TakeAction(cases["principal"], Action.ASSIGN, "x", assignee="y")
        )
    assert service.case_reads() == [], "a refused read reads nothing and logs nothing"


def test_every_case_file_read_is_logged(
    service: AlertingService, users: dict[str, User], cases: dict[str, str], clock: ManualClock
) -> None:
    file = service.case_file(users["inspector"], cases["principal"], ReadChannel.CONSOLE)
    assert [alert.alert_id for alert in file.evidence] == ["principal"]
    assert file.chain.intact
    service.case_history(users["auditor"], cases["principal"], ReadChannel.API)
    reads = service.case_reads(case_id=cases["principal"])
    assert [(r.username, r.channel, r.view, r.at) for r in reads] == [
        ("auditor", ReadChannel.API, "history", clock.now),
        ("inspector", ReadChannel.CONSOLE, "case_file", clock.now),
    ]


def test_actions_are_checked_against_the_role_then_the_workflow(
    service: AlertingService, users: dict[str, User], cases: dict[str, str]
) -> None:
    case_id = cases["ordinary"]
    with pytest.raises(AccessDenied):
        service.act(users["auditor"], TakeAction(case_id, Action.ASSIGN, "x", assignee="officer"))
    with pytest.raises(AccessDenied):
        service.act(users["officer"], TakeAction(case_id, Action.DISMISS, "x", comment="无问题"))
    with pytest.raises(InvalidTransition):
        service.act(users["officer"], TakeAction(case_id, Action.RECTIFY, "x", comment="整改"))
    case, entry = service.act(
        users["officer"], TakeAction(case_id, Action.ASSIGN, "forged", assignee="officer")
    )
    assert case.state is CaseState.ASSIGNED
    assert entry.actor == "officer", "the actor is the signed-in user, whatever the command says"


def test_the_summary_counts_the_users_scope(
    service: AlertingService, users: dict[str, User], cases: dict[str, str], clock: ManualClock
) -> None:
    inspector = users["inspector"]
    steps = [
        (Action.ASSIGN, {"assignee": "officer"}),
        (Action.INVESTIGATE, {}),
        (Action.RECTIFY, {"comment": "整改"}),
        (Action.SUBMIT_FOR_REVIEW, {}),
        (Action.APPROVE, {}),
    ]
    for action, extra in steps:
        clock.advance(days=1)
        service.act(inspector, TakeAction(cases["ordinary"], action, "x", **extra))  # type: ignore[arg-type]
    district = service.summary_for(inspector)
    assert (district.total, district.open) == (3, 2)
    assert district.by_risk_area == {RiskArea.CANTEEN: 2, RiskArea.FINANCE: 1}
    assert district.by_school == {"500102001": 2, "500102002": 1}
    assert district.close_times.count == 1
    assert district.close_times.median is not None and district.close_times.median.days == 5
    school = service.summary_for(users["officer"])
    assert (school.total, dict(school.by_state)) == (1, {CaseState.CLOSED: 1})
