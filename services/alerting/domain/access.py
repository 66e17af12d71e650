"""Who may see which cases and take which actions (权限).

    role                 sees                                   may act on cases             silences   audit
    区纪检 district       every case of the district,            every workflow action        manage     -
      inspector           conflict-of-interest ones included
    校纪检 school         the school's cases, except those        assign, investigate,        -          -
      officer             routed to the district                  rectify, submit for review
    审计 auditor          the district's cases (or all)           none (read-only)            read       verify, replay
    管理员 administrator  the district's cases (or all)           every workflow action        manage     verify, replay

Review, dismissal, transfer and reopening are the district's decisions: a
school does not close or drop a case about itself. The workflow table still
decides what is possible in each state; a role only narrows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from services.alerting.domain.case import Case
from services.alerting.domain.workflow import Action, allowed_actions
from services.alerting.errors import InvalidAccount


class Role(enum.Enum):
    DISTRICT_INSPECTOR = "district_inspector"
    SCHOOL_OFFICER = "school_officer"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"

    @property
    def label_zh(self) -> str:
        return _ROLE_ZH[self]


_ROLE_ZH = {
    Role.DISTRICT_INSPECTOR: "区纪检",
    Role.SCHOOL_OFFICER: "校纪检",
    Role.AUDITOR: "审计",
    Role.ADMINISTRATOR: "管理员",
}

_ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.DISTRICT_INSPECTOR: frozenset(Action),
    Role.SCHOOL_OFFICER: frozenset(
        {Action.ASSIGN, Action.INVESTIGATE, Action.RECTIFY, Action.SUBMIT_FOR_REVIEW}
    ),
    Role.AUDITOR: frozenset(),
    Role.ADMINISTRATOR: frozenset(Action),
}


@dataclass(frozen=True, slots=True)
class User:
    """A console or API user; ``district_id`` None means every district (auditors and administrators only)."""

    id: str
    username: str
    display_name: str
    role: Role
    district_id: str | None = None
    school_id: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        if self.role is Role.SCHOOL_OFFICER and not (self.district_id and self.school_id):
            raise InvalidAccount(
                "校纪检账号须指定所属区县和学校 / a school officer needs --district and --school"
            )
        if self.role is Role.DISTRICT_INSPECTOR and (not self.district_id or self.school_id):
            raise InvalidAccount(
                "区纪检账号须指定区县、不能指定学校 / a district inspector needs --district and no --school"
            )
        if self.role in (Role.AUDITOR, Role.ADMINISTRATOR) and self.school_id:
            raise InvalidAccount(
                "审计和管理员账号的范围是区县或全部 / auditors and administrators are scoped to a district or everything, not a school"
            )

    @property
    def label(self) -> str:
        return f"{self.display_name}（{self.role.label_zh}）"

    def sees(self, case: Case) -> bool:
        """Whether ``case`` is in this user's scope; school users never see cases routed to the district."""
        if self.district_id is not None and case.district_id != self.district_id:
            return False
        if self.school_id is None:
            return True
        return case.key.school_id == self.school_id and not case.routed_to_district

    def may(self, action: Action) -> bool:
        """Whether the role allows ``action`` at all (in some state)."""
        return action in _ROLE_ACTIONS[self.role]

    def permitted_actions(self, case: Case) -> list[Action]:
        """What this user may do to ``case`` now: the workflow's actions in its state that the role allows."""
        if not self.sees(case):
            return []
        return [action for action in allowed_actions(case.state) if self.may(action)]

    @property
    def acts_on_cases(self) -> bool:
        return bool(_ROLE_ACTIONS[self.role])

    @property
    def reads_silences(self) -> bool:
        """School officers do not: a silence's matchers may name a subject of a case they cannot see."""
        return self.role is not Role.SCHOOL_OFFICER

    @property
    def manages_silences(self) -> bool:
        return self.role in (Role.DISTRICT_INSPECTOR, Role.ADMINISTRATOR)

    @property
    def audits(self) -> bool:
        """May verify every history chain and read who looked at which case."""
        return self.role in (Role.AUDITOR, Role.ADMINISTRATOR)
