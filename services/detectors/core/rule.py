"""What a rule is: its metadata plus either one pure function (single-event rules)
or three pure functions over a JSON-able per-key state (windowed and join rules).

State keys are the partitioning contract with the streaming runtime: a school
rule's key starts with ``"<school id>|"`` so its state lives in the partition of
the school's events. A rule whose state is global by nature (one student at two
schools, a district-wide median, an OCDS population) sets ``global_state`` and
uses keys starting with ``"global|"``; the runtime routes its events through a
stream repartitioned by that key.

A key's state may spread over pages (see ``pages``), stored under
``"<key>#<page>"``: the runtime must route an entry by :func:`partition_key`, so
that a page lives in its key's partition. The engine drops a key's pages with
the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from services.detectors.core.model import Event, Finding, RiskArea, RuleKind, Severity
from services.detectors.core.pages import PAGE_SEPARATOR, NoPages, Pages

Params = TypeVar("Params")
State = dict[str, Any]
"""A rule's state for one key: JSON types only (the runtime stores it in a changelog)."""

GLOBAL_KEY_PREFIX = "global|"


def school_key(event: Event, *parts: object) -> str:
    return "|".join((event["schoolid"], *map(_key_part, parts)))


def global_key(*parts: object) -> str:
    return GLOBAL_KEY_PREFIX + "|".join(map(_key_part, parts))


def _key_part(value: object) -> str:
    """A key part from data: a ``#`` in it would read as the start of a page name."""
    return str(value).replace("%", "%25").replace(PAGE_SEPARATOR, "%23")


def partition_key(key: str) -> str:
    """What a state key (or a page of it) is partitioned by: the school id, or the
    whole global key without its page."""
    base = key.split(PAGE_SEPARATOR, 1)[0]
    return base if base.startswith(GLOBAL_KEY_PREFIX) else base.split("|", 1)[0]


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
    copies_its_state: bool = False
    """The rule never changes the state it is handed (it copies what it changes), so the
    engine hands it the stored state without copying it first: for a rule whose key state
    is large and mostly unchanged by a step (F6's index of due pages). The rule tests' store
    fails a rule that changes it all the same."""


@dataclass(frozen=True, slots=True)
class RuleContext(Generic[Params]):
    params: Params
    watermark: datetime | None
    """Event time before which input is complete (max event time seen − allowed lateness)."""
    key: str = ""
    """The state key being updated (an event may update several keys of one rule)."""
    pages: Pages = field(default_factory=NoPages)
    """The key's pages (read-only; return changed ones in ``Step.pages``)."""
    timer: datetime | None = None
    """The key's pending timer (None: none): a step that hands its state back unchanged keeps it
    by returning it, without working it out again from the state."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a stateful rule returns: the key's new state (None drops it and its
    pages), the next timer (None cancels it), the findings to alert on, and the
    pages it changed (None deletes a page)."""

    state: State | None
    timer: datetime | None = None
    findings: tuple[Finding, ...] = field(default=())
    pages: Mapping[str, State | None] = field(default_factory=dict)


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
