"""Which case an alert belongs to.

Alerts with the same key (school, rule, subject) are one problem:

- no case yet for the key → open one;
- the latest case is open → the alert is more evidence for it, however old the
  case: an open case is being handled, a second one would split the work;
- the latest case is finished (closed, dismissed, transferred) but the alert's
  event happened before it finished → late evidence for that case;
- the alert recurs within ``window`` after the case finished → ``recurrence``
  decides: reopen the case, or open a new case linked to it (a transferred case
  is with the discipline commission and is never reopened, so it gets a link);
- later than that → a new case, linked to the previous one for context.

Leaders are the school's principal, party secretary and the like; a case about
one of them is routed to the district (conflict of interest).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.alerting.domain.alerts import Alert, SubjectKind
from services.alerting.domain.case import Case
from services.alerting.domain.workflow import Action, allowed_actions


class Recurrence(enum.Enum):
    REOPEN = "reopen"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class GroupingPolicy:
    window: timedelta = timedelta(days=30)
    recurrence: Recurrence = Recurrence.REOPEN


@dataclass(frozen=True, slots=True)
class OpenCase:
    linked_case_id: str | None = None


@dataclass(frozen=True, slots=True)
class AddEvidence:
    case_id: str


@dataclass(frozen=True, slots=True)
class Reopen:
    case_id: str


Placement = OpenCase | AddEvidence | Reopen


def place_alert(alert: Alert, latest: Case | None, policy: GroupingPolicy) -> Placement:
    """Where ``alert`` goes, given the most recently opened case with the same key."""
    if latest is None:
        return OpenCase()
    if latest.state.is_open or latest.terminal_at is None:
        return AddEvidence(latest.id)
    if alert.event_time <= latest.terminal_at:
        return AddEvidence(latest.id)
    recurs_soon = alert.event_time - latest.terminal_at <= policy.window
    if (
        recurs_soon
        and policy.recurrence is Recurrence.REOPEN
        and Action.REOPEN in allowed_actions(latest.state)
    ):
        return Reopen(latest.id)
    return OpenCase(linked_case_id=latest.id)


def leader_role(alert: Alert, leaders: Mapping[str, str]) -> str | None:
    """The role (e.g. ``principal``) if the alert's subject is one of its school's ``leaders`` (pseudonym → role)."""
    if alert.subject.kind is not SubjectKind.STAFF:
        return None
    return leaders.get(alert.subject.id)
