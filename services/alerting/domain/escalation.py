"""Escalation of overdue cases (督办): who is notified, and when.

An overdue stage climbs a ladder: first the case's supervisor, then, after a
further delay, the district discipline team. The highest level reached gets a
reminder every ``repeat_every``. Each reminder has a deterministic key
(case, stage, level, slot), so asking twice, or after a restart, yields the same
keys and a key already in the case's escalation log is never due again. Slots
missed while the scheduler was down are not sent late: only the current one is.

A case routed to the district (conflict of interest) never notifies the school.
"""

from __future__ import annotations

import enum
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.alerting.domain.case import Case
from services.alerting.domain.deadlines import Deadlines


class Audience(enum.Enum):
    SCHOOL = "school"
    DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    role: str
    audience: Audience
    after_overdue: timedelta


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    levels: tuple[EscalationLevel, ...] = field(
        default_factory=lambda: (
            EscalationLevel("supervisor", Audience.SCHOOL, timedelta(0)),
            EscalationLevel("discipline_team", Audience.DISTRICT, timedelta(days=2)),
        )
    )
    repeat_every: timedelta = timedelta(days=1)
    quiet_on_rest_days: bool = True


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who to notify: a role in one school or district; ``unit_id`` None means every district (cross-district case)."""

    audience: Audience
    unit_id: str | None
    role: str


@dataclass(frozen=True, slots=True)
class EscalationStep:
    key: str
    case_id: str
    stage_seq: int
    level: int
    slot: int
    recipient: Recipient
    due_at: datetime


def due_escalations(
    case: Case,
    *,
    sent_keys: AbstractSet[str],
    now: datetime,
    policy: EscalationPolicy,
    deadlines: Deadlines,
) -> list[EscalationStep]:
    """The reminders due for ``case`` at ``now`` that its escalation log (``sent_keys``) does not hold yet."""
    if not case.state.is_open or case.deadline_at is None or now < case.deadline_at:
        return []
    if policy.quiet_on_rest_days and not deadlines.is_workday(now):
        return []
    overdue_for = now - case.deadline_at
    reached = [
        index for index, level in enumerate(policy.levels) if overdue_for >= level.after_overdue
    ]
    if not reached:
        return []
    level_index = reached[-1]
    level = policy.levels[level_index]
    level_started = case.deadline_at + level.after_overdue
    slot = (now - level_started) // policy.repeat_every
    key = f"{case.id}:{case.stage_seq}:{level.role}:{slot}"
    if key in sent_keys:
        return []
    return [
        EscalationStep(
            key=key,
            case_id=case.id,
            stage_seq=case.stage_seq,
            level=level_index,
            slot=slot,
            recipient=_recipient(case, level),
            due_at=level_started + slot * policy.repeat_every,
        )
    ]


def _recipient(case: Case, level: EscalationLevel) -> Recipient:
    if level.audience is Audience.DISTRICT or case.routed_to_district:
        return Recipient(Audience.DISTRICT, case.district_id, level.role)
    return Recipient(Audience.SCHOOL, case.key.school_id, level.role)
