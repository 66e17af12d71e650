"""One batch of Kafka records through the engines: plain Python, no faust.

The school detector runs the school-scoped rules on raw events and names, for
each event, the global rules' state keys it must be repartitioned by. The global
detector runs each global rule on the events repartitioned to it (a record holds
a bundle of them), with one engine per rule so that a rule only ever sees its own
keys. A clock declaration (a record of the clock topic, read with the raw topics)
moves the school engine's event time as an event at that time would, and travels on
to every partition of the global rules, whose engines all move with it. The declarations
a worker holds (read and not passed on yet; passed on to a global partition) are kept in
its state store, in the partition they came in, so a worker that restarts, or takes the
partition over, holds them as well.

A record the detectors cannot use is returned as rejected (for the dead-letter
topic), never raised, and so is a forward of a bundle that names a rule not
enabled here (the bundle's other forwards go on); a failing rule is reported
through ``on_rule_error`` and the other rules still see the event.
``AllRulesDetector`` runs every rule in one engine, for replay and evaluation.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.detectors.core.alerts import Alert
from services.detectors.core.config import RuleConfig, RuleSet
from services.detectors.core.engine import Engine, RuleStep, Scope
from services.detectors.core.eventtime import format_time, parse_time
from services.detectors.core.model import Event
from services.detectors.core.rule import StatefulRule
from services.detectors.core.state import InMemoryStateStore, StateStore
from services.detectors.errors import RuleEvaluationError
from services.detectors.runtime.clocks import SourceClocks, SourceWatermarkEngine
from services.detectors.runtime.messages import (
    Forward,
    Tick,
    clock_record,
    read_clock,
    read_forwarded,
    to_json,
)
from services.detectors.runtime.partitioning import DECLARATIONS, declaration_key
from services.detectors.runtime.records import Record, UnusableRecord, decode_event

RuleErrorHandler = Callable[[RuleEvaluationError], None]


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    alert: Alert
    origin_timestamp: float | None
    """Kafka timestamp (seconds) of the record whose processing raised the alert."""


@dataclass(frozen=True, slots=True)
class Rejected:
    record: Record
    problem: UnusableRecord
    item: int | None = None
    """The index of the rejected forward in a repartitioned bundle; None: the whole record."""


@dataclass(slots=True)
class BatchResult:
    alerts: list[RaisedAlert] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    forwards: list[Forward | Tick] = field(default_factory=list)
    processed_types: list[str] = field(default_factory=list)
    """The type of each event processed (clock declarations are not events)."""


def is_global(config: RuleConfig) -> bool:
    return isinstance(config.rule, StatefulRule) and config.rule.meta.global_state


def single_rule_set(rule_set: RuleSet, config: RuleConfig) -> RuleSet:
    """The rule set restricted to one rule; the configuration hash stays that of the whole set."""
    return dataclasses.replace(rule_set, rules=(config,))


@dataclass(frozen=True, slots=True)
class Stepped:
    """What one event or tick did: the event (None: a tick), its alerts, its forwards, the Kafka
    timestamp it came with."""

    event: Event | None
    alerts: list[Alert]
    forwards: list[Forward | Tick]
    timestamp: float | None


class _Detector:
    """The per-record loop shared by every detector: ``_units`` splits a record into the
    detector's units of work (indexed when a record holds several), ``_step`` runs one.
    A record of ``clock_topic`` is a ``Tick``; any other one an event."""

    clock_topic: str | None = None
    clocks: SourceClocks | None = None
    """Where each source partition has been read up to (a live worker's; a replay has none)."""

    def process(self, records: Iterable[Record], *, detected_at: datetime) -> BatchResult:
        result = BatchResult()
        for record in records:
            if self.clocks is not None:
                # Before decoding: a record refused for the dead letters has been read as well,
                # and must not leave its partition unread, holding the watermark back.
                self.clocks.at((record.topic, record.partition), record.offset)
            try:
                units = self._units(record)
            except UnusableRecord as problem:
                result.rejected.append(Rejected(record, problem))
                continue
            for item, unit in units:
                try:
                    stepped = self._step(record, unit, detected_at)
                except UnusableRecord as problem:
                    result.rejected.append(Rejected(record, problem, item))
                    continue
                except Exception as exc:  # noqa: BLE001 - an engine failure on one record must not stop the stream
                    result.rejected.append(Rejected(record, _engine_failure(exc), item))
                    continue
                result.alerts.extend(
                    RaisedAlert(alert, stepped.timestamp) for alert in stepped.alerts
                )
                result.forwards.extend(stepped.forwards)
                if stepped.event is not None:
                    result.processed_types.append(stepped.event["type"])
        return result

    def step_in_progress(self) -> RuleStep | None:
        """The rule step running now, if any (read from the stall watch's thread)."""
        return next(
            (step for engine in self._engines() if (step := engine.step_in_progress())), None
        )

    def end_skipped_step(self) -> None:
        """End the rule step running now if it is quarantined (see ``Engine.end_skipped_step``)."""
        for engine in self._engines():
            engine.end_skipped_step()

    def _engines(self) -> Iterable[Engine]:
        raise NotImplementedError

    def reads_declarations(self, records: Sequence[Record]) -> bool:
        """Whether processing ``records`` reads a clock declaration."""
        return any(record.topic == self.clock_topic for record in records)

    def _units(self, record: Record) -> list[tuple[int | None, Any]]:
        """The record's units of work, each with its index in the record (None: the record itself)."""
        if record.topic == self.clock_topic:
            return [(None, read_clock(record))]
        return [(None, decode_event(record))]

    def _step(self, record: Record, unit: Any, detected_at: datetime) -> Stepped:
        raise NotImplementedError


class _WorkerDetector(_Detector):
    """A live worker's detector: its engines keep their state in the worker's store, move with its
    source clocks, report rule errors and skip the quarantined steps alike."""

    def __init__(
        self, store: StateStore, on_rule_error: RuleErrorHandler, skipped: Container[str]
    ) -> None:
        self.clocks: SourceClocks = SourceClocks()
        self._store = store
        self._on_rule_error = on_rule_error
        self._skipped = skipped

    def _worker_engine(
        self, rules: RuleSet, scope: Scope, watermark: datetime | None
    ) -> SourceWatermarkEngine:
        return SourceWatermarkEngine(
            rules,
            self._store,
            scope=scope,
            watermark=watermark,
            on_rule_error=self._on_rule_error,
            skipped=self._skipped,
            clocks=self.clocks,
        )


class SchoolDetector(_WorkerDetector):
    def __init__(
        self,
        rule_set: RuleSet,
        store: StateStore,
        *,
        on_rule_error: RuleErrorHandler,
        clock_topic: str,
        skipped: Container[str] = frozenset(),
    ) -> None:
        """``skipped``: labels of rule steps not to run (see ``quarantine``)."""
        super().__init__(store, on_rule_error, skipped)
        self._rule_set = rule_set
        self.clock_topic: str = clock_topic
        self._declared: dict[int, Tick] = {}
        """Declarations read and not yet passed on, by clock partition: the latest of each."""
        self._restored: list[Record] = []
        """The clock records of the declarations the store holds, to read again (see ``restart``)."""
        self._router = Engine(rule_set, InMemoryStateStore(), scope=Scope.GLOBAL)
        self._engine = self._new_engine(None)

    @property
    def watermark(self) -> datetime | None:
        return self._engine.watermark

    def reads_declarations(self, records: Sequence[Record]) -> bool:
        return bool(self._restored) or super().reads_declarations(records)

    def process(self, records: Iterable[Record], *, detected_at: datetime) -> BatchResult:
        if self._restored:  # rarely: the first batch after a restart with declarations held
            records, self._restored = [*self._restored, *records], []
        result = super().process(records, detected_at=detected_at)
        # Records refused after the last step may have read a partition to its end: no event
        # follows to move the time (or a declaration held) there.
        result.alerts += [
            RaisedAlert(alert, None) for alert in self._engine.catch_up(detected_at=detected_at)
        ]
        if self._declared:
            result.forwards += self._reached_declarations()
        return result

    def restart(self, owned: Collection[int] = ()) -> None:
        """Rebuild the timers from the store: call after this worker's partitions changed to
        ``owned``. The declarations not passed on yet are those the store holds for ``owned``
        (a moved partition's go with it, to the worker that now forwards its events): the next
        batch reads their clock records again first, so that they move the event time as they
        did, once the new batch's partitions are known, and are passed on when it reaches them."""
        self._engine = self._new_engine(self._engine.watermark)
        self._declared = {}
        held = (
            (origin, self._store.get(DECLARATIONS, declaration_key(origin)))
            for origin in sorted(owned)
        )
        self._restored = [
            self._clock_record(origin, entry) for origin, entry in held if entry is not None
        ]

    def _step(self, record: Record, event: Event | Tick, detected_at: datetime) -> Stepped:
        if isinstance(event, Tick):
            held = self._declared.get(event.origin)
            if held is None or event.through > held.through:
                self._declared[event.origin] = event
                self._hold(event, record.offset)
            alerts = self._engine.advance_watermark(event.through, detected_at=detected_at)
            return Stepped(None, alerts, self._reached_declarations(), event.timestamp)
        alerts = self._engine.process(event, detected_at=detected_at)
        forwards: list[Forward | Tick] = [
            Forward(key, rule_id, event, record.timestamp)
            for rule_id, key in self._router.state_keys(event)
        ]
        if self._declared:
            forwards += self._reached_declarations()
        return Stepped(event, alerts, forwards, record.timestamp)

    def _reached_declarations(self) -> list[Forward | Tick]:
        """The declarations this worker's event time has now reached, to pass on to the global rules:
        only then have the events before them in every partition it reads been forwarded."""
        reached = self._engine.event_time
        if reached is None:
            return []
        passed = [tick for tick in self._declared.values() if tick.through <= reached]
        for tick in passed:
            del self._declared[tick.origin]
            self._store.delete(DECLARATIONS, declaration_key(tick.origin))
        return passed

    def _hold(self, tick: Tick, offset: int) -> None:
        entry = {
            "through": format_time(tick.through),
            "offset": offset,
            "timestamp": tick.timestamp,
        }
        self._store.put(DECLARATIONS, declaration_key(tick.origin), entry, to_json(entry))

    def _clock_record(self, origin: int, held: dict[str, Any]) -> Record:
        """The clock record of a declaration the store holds, as it was read."""
        value = clock_record(parse_time(held["through"]))
        return Record(self.clock_topic, origin, held["offset"], held["timestamp"], None, value)

    def _new_engine(self, watermark: datetime | None) -> SourceWatermarkEngine:
        return self._worker_engine(self._rule_set, Scope.SCHOOL, watermark)

    def _engines(self) -> Iterable[Engine]:
        return (self._engine,)


class GlobalDetector(_WorkerDetector):
    def __init__(
        self,
        rule_set: RuleSet,
        store: StateStore,
        *,
        on_rule_error: RuleErrorHandler,
        partitions: int = 1,
        skipped: Container[str] = frozenset(),
    ) -> None:
        """``partitions``: of the clock topic; a declaration moves the global rules' time once
        the school workers of all of them have passed it on. ``skipped``: as ``SchoolDetector``'s."""
        super().__init__(store, on_rule_error, skipped)
        self._partitions = partitions
        self._heard: dict[int, dict[int, datetime]] = {}
        """By owned partition: the latest declaration of each clock partition it carried."""
        self._restarted = False
        self._rules = {c.rule_id: _OneKeyAtATime(c) for c in rule_set.enabled() if is_global(c)}
        self._rule_sets = {
            rule_id: single_rule_set(rule_set, rule.config) for rule_id, rule in self._rules.items()
        }
        self._by_rule = {
            rule_id: self._new_engine(rules, None) for rule_id, rules in self._rule_sets.items()
        }

    @property
    def watermark(self) -> datetime | None:
        """The earliest of the global rules' watermarks (each rule's moves with its own events)."""
        return min(
            (w for engine in self._by_rule.values() if (w := engine.watermark) is not None),
            default=None,
        )

    def restart(self, owned: Collection[int] = ()) -> None:
        """Rebuild the timers from the store, and the declarations ``owned`` carried. The next
        batch, empty or not, first moves to them if every owned partition carried one from each
        clock partition: a worker left with fewer partitions may now have all it waits for."""
        self._by_rule = {
            rule_id: self._new_engine(rules, self._by_rule[rule_id].watermark)
            for rule_id, rules in self._rule_sets.items()
        }
        self._heard = {partition: self._stored_declarations(partition) for partition in owned}
        self._restarted = True

    def reads_declarations(self, records: Sequence[Record]) -> bool:
        """Also the first batch after a restart with declarations heard, which may move to them."""
        return self._restarted and any(self._heard.values()) or super().reads_declarations(records)

    def process(self, records: Iterable[Record], *, detected_at: datetime) -> BatchResult:
        if not self._restarted:
            return super().process(records, detected_at=detected_at)
        self._restarted = False
        heard = [RaisedAlert(alert, None) for alert in self._advance_to_declarations(detected_at)]
        result = super().process(records, detected_at=detected_at)
        result.alerts[:0] = heard
        return result

    def _units(self, record: Record) -> list[tuple[int | None, Any]]:
        return list(enumerate(read_forwarded(record)))

    def _step(self, record: Record, forward: Forward | Tick, detected_at: datetime) -> Stepped:
        if isinstance(forward, Tick):
            return Stepped(None, self._tick(record, forward, detected_at), [], forward.timestamp)
        engine = self._by_rule.get(forward.rule_id)
        if engine is None:
            raise UnusableRecord(
                "rule_id",
                "rules_config",
                f"规则未启用 / rule {forward.rule_id} is not enabled in this rules configuration",
            )
        with self._rules[forward.rule_id].only(forward.state_key):
            alerts = engine.process(forward.event, detected_at=detected_at)
        return Stepped(forward.event, alerts, [], forward.timestamp)

    def _tick(self, record: Record, tick: Tick, detected_at: datetime) -> list[Alert]:
        """Every engine's time moves to the earliest declaration, once every owned partition has
        carried one from each clock partition. A tick reaches every partition after the forwards
        before it, so a partition that carried them all has had its events up to then; one still
        behind (even unknown to the consumer's end offsets) holds the time back."""
        heard = self._heard.setdefault(record.partition, {})
        held = heard.get(tick.origin)
        if held is None or tick.through > held:
            heard[tick.origin] = tick.through
            entry = {
                "heard": {str(origin): format_time(through) for origin, through in heard.items()}
            }
            self._store.put(DECLARATIONS, declaration_key(record.partition), entry, to_json(entry))
        return self._advance_to_declarations(detected_at)

    def _advance_to_declarations(self, detected_at: datetime) -> list[Alert]:
        if not self._heard or any(
            len(carried) < self._partitions for carried in self._heard.values()
        ):
            return []
        through = min(moment for carried in self._heard.values() for moment in carried.values())
        return [
            alert
            for engine in self._by_rule.values()
            for alert in engine.advance_watermark(through, detected_at=detected_at)
        ]

    def _stored_declarations(self, partition: int) -> dict[int, datetime]:
        entry = self._store.get(DECLARATIONS, declaration_key(partition))
        heard = {} if entry is None else entry["heard"]
        return {int(origin): parse_time(through) for origin, through in heard.items()}

    def _new_engine(self, rules: RuleSet, watermark: datetime | None) -> SourceWatermarkEngine:
        return self._worker_engine(rules, Scope.GLOBAL, watermark)

    def _engines(self) -> Iterable[Engine]:
        return self._by_rule.values()


class _OneKeyAtATime:
    """A global rule seen through one state key at a time: the copy of an event
    repartitioned by one of its keys must update that key only, because its
    other keys live in other partitions and get their own copies."""

    def __init__(self, config: RuleConfig) -> None:
        self._state_keys = config.rule.state_keys
        self._current: str | None = None
        self.config = dataclasses.replace(
            config, rule=dataclasses.replace(config.rule, state_keys=self._keys)
        )

    @contextlib.contextmanager
    def only(self, state_key: str) -> Iterator[None]:
        self._current = state_key
        try:
            yield
        finally:
            self._current = None

    def _keys(self, event: Event, params: object) -> list[str]:
        return [key for key in self._state_keys(event, params) if key == self._current]


class AllRulesDetector(_Detector):
    """Every rule in one engine over an in-memory store: replay and evaluation, no partitions."""

    def __init__(
        self,
        rule_set: RuleSet,
        *,
        on_rule_error: RuleErrorHandler,
        clock_topic: str | None = None,
        skipped: Container[str] = frozenset(),
    ) -> None:
        self.engine = Engine(
            rule_set,
            InMemoryStateStore(),
            scope=Scope.ALL,
            on_rule_error=on_rule_error,
            skipped=skipped,
        )
        self.clock_topic = clock_topic

    def _engines(self) -> Iterable[Engine]:
        return (self.engine,)

    def _step(self, record: Record, event: Event | Tick, detected_at: datetime) -> Stepped:
        if isinstance(event, Tick):
            return Stepped(
                None,
                self.engine.advance_watermark(event.through, detected_at=detected_at),
                [],
                record.timestamp,
            )
        return Stepped(
            event, self.engine.process(event, detected_at=detected_at), [], record.timestamp
        )

    def flush(self, *, detected_at: datetime) -> list[Alert]:
        """Fire every pending timer: the input is complete."""
        return self.engine.flush(detected_at=detected_at)


def _engine_failure(exc: Exception) -> UnusableRecord:
    return UnusableRecord(
        "",
        "engine",
        f"检测引擎出错 / the engine failed on this record: {type(exc).__name__}: {exc}",
    )
