"""The alerting policy from a TOML file; every key is optional and defaults to ``AlertingPolicy()``.

[grouping]
window_days = 30                # recurrence window after a case is finished
recurrence = "reopen"           # or "link": open a new case linked to the finished one

[deadlines]                     # working days per stage, by severity
new = { red = 1, orange = 2, yellow = 3 }
rectifying = { red = 10, orange = 20, yellow = 30 }

[escalation]
repeat_every_hours = 24
quiet_on_rest_days = true
levels = [
  { role = "supervisor", audience = "school", after_overdue_hours = 0 },
  { role = "discipline_team", audience = "district", after_overdue_hours = 48 },
]
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.alerting.domain.alerts import Severity
from services.alerting.domain.deadlines import DEFAULT_STAGE_WORKING_DAYS, DeadlinePolicy
from services.alerting.domain.escalation import Audience, EscalationLevel, EscalationPolicy
from services.alerting.domain.grouping import GroupingPolicy, Recurrence
from services.alerting.domain.policy import AlertingPolicy
from services.alerting.domain.workflow import CaseState
from services.alerting.errors import InvalidPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Grouping(_Strict):
    window_days: float = Field(30, gt=0)
    recurrence: Recurrence = Recurrence.REOPEN


class _StageDays(_Strict):
    red: int = Field(ge=0)
    orange: int = Field(ge=0)
    yellow: int = Field(ge=0)


class _Level(_Strict):
    role: str = Field(min_length=1)
    audience: Audience
    after_overdue_hours: float = Field(ge=0)


class _Escalation(_Strict):
    repeat_every_hours: float = Field(24, gt=0)
    quiet_on_rest_days: bool = True
    levels: list[_Level] | None = Field(None, min_length=1)


class _PolicyFile(_Strict):
    grouping: _Grouping = _Grouping()
    deadlines: dict[
        Literal["new", "assigned", "investigating", "rectifying", "under_review"], _StageDays
    ] = {}
    escalation: _Escalation = _Escalation()


def load_policy(path: Path | None, *, timezone: str) -> AlertingPolicy:
    """The policy in ``path`` (defaults when None), with deadlines counted in ``timezone``."""
    parsed = _PolicyFile() if path is None else _parse(path)
    stage_days = dict(DEFAULT_STAGE_WORKING_DAYS)
    for stage, days in parsed.deadlines.items():
        stage_days[CaseState(stage)] = MappingProxyType(
            {Severity.RED: days.red, Severity.ORANGE: days.orange, Severity.YELLOW: days.yellow}
        )
    escalation = parsed.escalation
    levels = (
        EscalationPolicy().levels
        if escalation.levels is None
        else tuple(
            EscalationLevel(level.role, level.audience, timedelta(hours=level.after_overdue_hours))
            for level in sorted(escalation.levels, key=lambda level: level.after_overdue_hours)
        )
    )
    return AlertingPolicy(
        grouping=GroupingPolicy(
            window=timedelta(days=parsed.grouping.window_days),
            recurrence=parsed.grouping.recurrence,
        ),
        deadlines=DeadlinePolicy(
            stage_working_days=MappingProxyType(stage_days), timezone=ZoneInfo(timezone)
        ),
        escalation=EscalationPolicy(
            levels=levels,
            repeat_every=timedelta(hours=escalation.repeat_every_hours),
            quiet_on_rest_days=escalation.quiet_on_rest_days,
        ),
    )


def _parse(path: Path) -> _PolicyFile:
    try:
        with path.open("rb") as handle:
            return _PolicyFile.model_validate(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidPolicy(
            f"无法读取处置策略文件 / cannot read the alerting policy {path}: {exc}"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidPolicy(
            f"处置策略文件有误 / alerting policy {path}: {where}: {first['msg']}"
        ) from exc
