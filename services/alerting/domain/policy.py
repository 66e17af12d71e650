"""Everything configurable about how alerts become cases and how cases are chased."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.alerting.domain.deadlines import DeadlinePolicy
from services.alerting.domain.escalation import EscalationPolicy
from services.alerting.domain.grouping import GroupingPolicy


@dataclass(frozen=True, slots=True)
class AlertingPolicy:
    grouping: GroupingPolicy = field(default_factory=GroupingPolicy)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
