"""Silences (屏蔽), as in Alertmanager: matchers, an author, a comment and a time range.

A silenced alert does not open or join a case, but it is still stored with the
silence that caught it, so nothing is lost and a silence can be reviewed later.
Regular expressions are anchored at both ends, like Alertmanager's.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.alerting.domain.alerts import Alert
from services.alerting.errors import InvalidSilence

MATCHABLE_LABELS = (
    "rule_id",
    "school_id",
    "district_id",
    "subject_kind",
    "subject_id",
    "severity",
    "risk_area",
)


class MatchOperator(enum.Enum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"

    @property
    def is_positive(self) -> bool:
        return self in (MatchOperator.EQUAL, MatchOperator.REGEX)


_MATCHER_SYNTAX = re.compile(r"\s*(?P<label>[a-z_]+)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*")


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    operator: MatchOperator
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.label not in MATCHABLE_LABELS:
            raise InvalidSilence(
                f"屏蔽条件不支持标签「{self.label}」/ cannot match on '{self.label}'; use one of {', '.join(MATCHABLE_LABELS)}"
            )
        if self.operator in (MatchOperator.REGEX, MatchOperator.NOT_REGEX):
            try:
                object.__setattr__(self, "_pattern", re.compile(self.value))
            except re.error as exc:
                raise InvalidSilence(
                    f"正则表达式无效 / invalid regular expression {self.value!r}: {exc}"
                ) from exc

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """``rule_id=C1``, ``school_id=~5001.*``, ``subject_kind!=vendor``."""
        match = _MATCHER_SYNTAX.fullmatch(text)
        if match is None:
            raise InvalidSilence(
                f"无法解析屏蔽条件 / cannot parse matcher {text!r}; write label=value, label=~regex, != or !~"
            )
        return cls(match["label"], MatchOperator(match["op"]), match["value"])

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self._pattern is not None:
            found = self._pattern.fullmatch(actual) is not None
        else:
            found = actual == self.value
        return found if self.operator.is_positive else not found

    def __str__(self) -> str:
        return f"{self.label}{self.operator.value}{self.value}"


def alert_labels(alert: Alert) -> dict[str, str]:
    """What matchers compare with; a district-level alert's missing school is the empty string."""
    return {
        "rule_id": alert.rule_id,
        "school_id": alert.school_id or "",
        "district_id": alert.district_id or "",
        "subject_kind": alert.subject.kind.value,
        "subject_id": alert.subject.id,
        "severity": alert.severity.value,
        "risk_area": alert.risk_area.value,
    }


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    expired_by: str | None = None

    def __post_init__(self) -> None:
        if not any(matcher.operator.is_positive for matcher in self.matchers):
            raise InvalidSilence(
                "屏蔽须至少有一个 = 或 =~ 条件，否则会屏蔽几乎所有告警 / "
                "a silence needs at least one = or =~ matcher, or it would silence almost everything"
            )
        if self.ends_at < self.starts_at:
            raise InvalidSilence("屏蔽结束时间须晚于开始时间 / a silence must end after it starts")
        if not self.created_by.strip() or not self.comment.strip():
            raise InvalidSilence("屏蔽须注明创建人和理由 / a silence needs an author and a comment")

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def silences(self, alert: Alert, now: datetime) -> bool:
        labels = alert_labels(alert)
        return self.is_active(now) and all(matcher.matches(labels) for matcher in self.matchers)

    def expired(self, now: datetime, actor: str) -> Silence:
        """This silence ended early at ``now`` by ``actor``; one not started yet becomes empty (never active)."""
        return replace(self, ends_at=max(self.starts_at, min(self.ends_at, now)), expired_by=actor)


def matching_silence(alert: Alert, silences: Iterable[Silence], now: datetime) -> Silence | None:
    return next((silence for silence in silences if silence.silences(alert, now)), None)
