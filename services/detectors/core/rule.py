"""What a rule is: its metadata plus either one pure function (single-event rules)
or three pure functions over a JSON-able per-key state (windowed and join rules).

State keys are the partitioning contract with the streaming runtime: a school
rule's key starts with ``"<school id>|"`` so its state lives in the partition of
the school's events. A rule whose state is global by nature (one student at two
schools, a district-wide median, an OCDS population) sets ``global_state`` and
uses keys starting with ``"global|"``; the runtime routes its events through a
stream repartitioned by that key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from services.detectors.core.model import Event, Finding, RiskArea, RuleKind, Severity

Params = TypeVar("Params")
State = dict[str, Any]
"""A rule's state for one key: JSON types only (the runtime stores it in a changelog)."""

GLOBAL_KEY_PREFIX = "global|"


def school_key(event: Event, *parts: object) -> str:
    return "|".join((event["schoolid"], *map(str, parts)))


def global_key(*parts: object) -> str:
    return GLOBAL_KEY_PREFIX + "|".join(map(str, parts))


@dataclass(frozen=True, slots=True)
class RuleMeta:
    id: str
    version: str
    title_zh: str
    title_en: str
    citation: str
    kind: RuleKind
    severity: Severity
    risk_area: RiskArea
    parameters: type
    """A frozen dataclass whose field defaults are the catalogue's defaults."""
    event_types: frozenset[str]
    doc: str
    global_state: bool = False


@dataclass(frozen=True, slots=True)
class RuleContext(Generic[Params]):
    params: Params
    watermark: datetime | None
    """Event time before which input is complete (max event time seen − allowed lateness)."""
    key: str = ""
    """The state key being updated (an event may update several keys of one rule)."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a stateful rule returns: the key's new state (None drops it), the next
    timer (None cancels it) and the findings to alert on."""

    state: State | None
    timer: datetime | None = None
    findings: tuple[Finding, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SingleEventRule(Generic[Params]):
    meta: RuleMeta
    evaluate: Callable[[Event, Params], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class StatefulRule(Generic[Params]):
    """A windowed or join rule. ``on_timer`` runs once the watermark passes the timer."""

    meta: RuleMeta
    state_keys: Callable[[Event, Params], Iterable[str]]
    """The keys whose state the event updates (usually one; an attendance sheet or a
    reimbursement with several invoices may touch several)."""
    on_event: Callable[[State, Event, RuleContext[Params]], Step]
    on_timer: Callable[[State, RuleContext[Params]], Step]


Rule = SingleEventRule[Any] | StatefulRule[Any]
