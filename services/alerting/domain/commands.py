"""What users and machines ask the alerting service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.alerting.domain.history import Attachment
from services.alerting.domain.silences import Matcher
from services.alerting.domain.workflow import Action, Resolution


@dataclass(frozen=True, slots=True)
class TakeAction:
    case_id: str
    action: Action
    actor: str
    comment: str = ""
    attachments: tuple[Attachment, ...] = ()
    assignee: str | None = None
    resolution: Resolution | None = None


@dataclass(frozen=True, slots=True)
class CreateSilence:
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


@dataclass(frozen=True, slots=True)
class ExpireSilence:
    silence_id: str
    actor: str
