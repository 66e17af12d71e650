"""Collecting one school's occurrences out of order and releasing them in event-time order.

Activities add events as they decide them (a delivery before the order that
caused it is fine); the schedule sorts them. An event's data may be given as a
function, so bulky payloads (a class's attendance list) are only built when the
event is emitted. A long run of events already in time order (a whole school's
term registration) is added as a series: an iterator the schedule merges
lazily, so ten thousand schools' rolls are never held in memory at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from contracts.envelope import new_event
from contracts.pii import pseudonym
from services.ingest.simulator.emissions import Emission, GroundTruth, SimulatedEvent

TYPE_PREFIX = "cn.edu.qinglian"
SERIES_SPACING = 10_000_000  # sequence numbers reserved per series, after the schedule's own
SCHEDULE_SPACING = 1_000 * SERIES_SPACING  # sequence numbers reserved per schedule of a school
Data = dict[str, Any] | Callable[[], dict[str, Any]]
Occurrence = tuple[datetime, int, int, Callable[[], Emission]]
"""(event time, school number, sequence, render): tuples sort by time, then school, then order of planning.
Sequences are unique within a school (each schedule has its own range), so render is never compared."""


class EventSpec(NamedTuple):
    at: datetime
    name: str
    data: Data
    subject: str | None
    event_id: str


class Schedule:
    def __init__(
        self,
        *,
        school_id: str,
        school_index: int,
        district_id: str,
        label: str,
        order: int,
        pseudonym_key: bytes,
    ) -> None:
        """``order`` tells a school's schedules apart (the roll, each day, the close) so their sequences never meet."""
        self.school_id = school_id
        self._base = order * SCHEDULE_SPACING
        self._school_index = school_index
        self._district_id = district_id
        self._label = label
        self._key = pseudonym_key
        self._pending: list[Occurrence] = []
        self._series: list[Iterator[Occurrence]] = []
        self._count = 0

    def event(
        self,
        at: datetime,
        name: str,
        data: Data,
        *,
        subject: str | None = None,
        event_id: str | None = None,
    ) -> str:
        """Plan an event of type ``cn.edu.qinglian.<name>.v1`` (name like "canteen.meal_service"); returns its id,
        ``event_id`` when the caller had to know it in advance (procurement evidence is planned weeks ahead)."""
        event_id = event_id or f"{self.school_id}-{self._label}-{self._count:05d}"
        self._add(at, self._renderer(EventSpec(at, name, data, subject, event_id)))
        return event_id

    def series(self, specs: Iterator[EventSpec]) -> None:
        """Events produced on demand, which ``specs`` must yield in time order."""
        base = self._base + (len(self._series) + 1) * SERIES_SPACING

        def occurrences() -> Iterator[Occurrence]:
            for offset, spec in enumerate(specs):
                yield (spec.at, self._school_index, base + offset, self._renderer(spec))

        self._series.append(occurrences())

    def truth(
        self,
        at: datetime,
        rule_id: str,
        subject: tuple[str, str],
        evidence: tuple[str, ...] | list[str],
        *,
        pii_kind: str | None = None,
        record_id: str | None = None,
        school_id: str | None = None,
    ) -> None:
        """Record an injected anomaly; ``pii_kind`` marks a person's identifier, pseudonymized as ingest does."""
        kind, subject_id = subject
        if pii_kind is not None:
            subject_id = pseudonym(pii_kind, subject_id, self._key)
        record = GroundTruth(
            at, rule_id, school_id or self.school_id, kind, subject_id, tuple(evidence), record_id
        )
        self._add(at, lambda: record)

    def release(self) -> Iterator[Occurrence]:
        """Everything planned so far, in event-time order; the schedule is empty afterwards."""
        pending, self._pending = self._pending, []
        series, self._series = self._series, []
        pending.sort(key=lambda occurrence: (occurrence[0], occurrence[2]))
        return heapq.merge(pending, *series) if series else iter(pending)

    def _renderer(self, spec: EventSpec) -> Callable[[], Emission]:
        source = f"/schools/{self.school_id}/{spec.name.partition('.')[0]}"

        def render() -> Emission:
            payload = spec.data() if callable(spec.data) else spec.data
            event = new_event(
                f"{TYPE_PREFIX}.{spec.name}.v1",
                source,
                self.school_id,
                payload,
                time=spec.at,
                subject=spec.subject,
                event_id=spec.event_id,
                district_id=self._district_id,
            )
            return SimulatedEvent(spec.at, event)

        return render

    def _add(self, at: datetime, render: Callable[[], Emission]) -> None:
        self._pending.append((at, self._school_index, self._base + self._count, render))
        self._count += 1
