"""Who sees which case and who may take which action: scope, conflict of interest, role × state."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.alerting.domain.access import Role, User
from services.alerting.domain.alerts import Subject, SubjectKind
from services.alerting.domain.case import Case
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.workflow import Action, CaseState, allowed_actions
from services.alerting.errors import InvalidAccount
from services.alerting.testing import sample_alert

NOW = datetime.fromisoformat("2026-09-28T10:00:00+08:00")
INSPECTOR = User("u1", "inspector", "王", Role.DISTRICT_INSPECTOR, "500102")
OFFICER = User("u2", "officer", "李", Role.SCHOOL_OFFICER, "500102", "500102001")
NEIGHBOUR = User("u3", "neighbour", "赵", Role.SCHOOL_OFFICER, "500102", "500102002")
AUDITOR = User("u4", "auditor", "周", Role.AUDITOR, "500102")
ADMIN = User("u5", "admin", "管理员", Role.ADMINISTRATOR)
OTHER_DISTRICT = User("u6", "elsewhere", "钱", Role.DISTRICT_INSPECTOR, "500103")
OTHER_AUDITOR = User("u7", "auditor2", "吴", Role.AUDITOR, "500103")


def school_case(deadlines: Deadlines, *, leader_role: str | None = None, **alert: object) -> Case:
    return Case.open(
        "c1", sample_alert(**alert), now=NOW, deadlines=deadlines, leader_role=leader_role
    )


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        (INSPECTOR, True),
        (OFFICER, True),
        (NEIGHBOUR, False),
        (AUDITOR, True),
        (ADMIN, True),
        (OTHER_DISTRICT, False),
    ],
)
def test_an_ordinary_case_is_seen_by_its_school_and_district(
    user: User, sees: bool, deadlines: Deadlines
) -> None:
    assert user.sees(school_case(deadlines)) is sees


@pytest.mark.parametrize(
    ("user", "sees"),
    [(INSPECTOR, True), (OFFICER, False), (NEIGHBOUR, False), (AUDITOR, True), (ADMIN, True)],
)
def test_a_case_about_the_principal_is_invisible_to_the_school(
    user: User, sees: bool, deadlines: Deadlines
) -> None:
    case = school_case(
        deadlines,
        leader_role="principal",
        subject=Subject(SubjectKind.STAFF, "pn:" + "a" * 32),
    )
    assert case.routed_to_district
    assert user.sees(case) is sees
    assert (user.permitted_actions(case) != []) is (sees and user.acts_on_cases)


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        (INSPECTOR, True),
        (AUDITOR, True),
        (ADMIN, True),
        (OFFICER, False),
        (NEIGHBOUR, False),
        (OTHER_DISTRICT, False),
        (OTHER_AUDITOR, False),
    ],
)
def test_a_district_level_case_is_for_its_districts_inspectors_and_auditors_only(
    user: User, sees: bool, deadlines: Deadlines
) -> None:
    """A vendor flagged across the district's schools (R025): no school, so no school officer."""
    case = school_case(
        deadlines,
        school_id=None,
        rule_id="R025",
        subject=Subject(SubjectKind.VENDOR, "91500102MA5U000009"),
    )
    assert (case.key.school_id, case.district_id, case.routed_to_district) == (None, "500102", True)
    assert user.sees(case) is sees
    assert (user.permitted_actions(case) != []) is (sees and user.acts_on_cases)


@pytest.mark.parametrize("state", list(CaseState))
def test_roles_narrow_the_workflow_never_widen_it(state: CaseState, deadlines: Deadlines) -> None:
    case = school_case(deadlines)
    case.state = state
    workflow = allowed_actions(state)
    assert INSPECTOR.permitted_actions(case) == workflow
    assert ADMIN.permitted_actions(case) == workflow
    assert AUDITOR.permitted_actions(case) == []
    school_may = {Action.ASSIGN, Action.INVESTIGATE, Action.RECTIFY, Action.SUBMIT_FOR_REVIEW}
    assert OFFICER.permitted_actions(case) == [a for a in workflow if a in school_may]
    assert NEIGHBOUR.permitted_actions(case) == []


def test_review_dismissal_and_transfer_are_the_districts_decisions() -> None:
    for action in (Action.APPROVE, Action.REJECT, Action.DISMISS, Action.TRANSFER, Action.REOPEN):
        assert not OFFICER.may(action)
        assert INSPECTOR.may(action)


@pytest.mark.parametrize(
    ("role", "district", "school"),
    [
        (Role.SCHOOL_OFFICER, "500102", None),
        (Role.SCHOOL_OFFICER, None, "500102001"),
        (Role.DISTRICT_INSPECTOR, None, None),
        (Role.DISTRICT_INSPECTOR, "500102", "500102001"),
        (Role.AUDITOR, "500102", "500102001"),
        (Role.ADMINISTRATOR, None, "500102001"),
    ],
)
def test_a_role_needs_a_scope_that_fits_it(
    role: Role, district: str | None, school: str | None
) -> None:
    with pytest.raises(InvalidAccount):
        User("u", "someone", "某人", role, district, school)


def test_silences_and_audits_by_role() -> None:
    assert [u.reads_silences for u in (INSPECTOR, OFFICER, AUDITOR, ADMIN)] == [
        True,
        False,
        True,
        True,
    ]
    assert [u.manages_silences for u in (INSPECTOR, OFFICER, AUDITOR, ADMIN)] == [
        True,
        False,
        False,
        True,
    ]
    assert [u.audits for u in (INSPECTOR, OFFICER, AUDITOR, ADMIN)] == [False, False, True, True]
