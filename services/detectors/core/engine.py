"""The one entry point that the streaming runtime and the replay tool share.

    engine = Engine(rule_set)
    alerts = engine.process(event, detected_at=now)          # per event
    alerts += engine.advance_watermark(moment, detected_at=now)  # timer / idle partitions
    alerts += engine.flush(detected_at=now)                  # end of a bounded replay

Event time drives everything: the watermark is the latest event time seen minus
the configured allowed lateness, and a stateful rule's timer fires once the
watermark reaches it. Rules are pure, so the same events give the same alerts
in live detection and in replay.

Persistence order for the runtime: publish the returned alerts first, then
commit the state store; a crash in between re-processes the event, which gives
the same alerts again (same ids) instead of losing them.

A rule gets a copy of its key's state and may change it in place; pages are copied
when a step edits them (``PageEdits``). So a step that fails (a rule error, an entry
too large) leaves the stored state as it was, in every store: the in-memory one of a
replay and the runtime's, which decodes entries afresh.

Every entry the engine writes is at most ``max_entry_bytes`` of JSON (256 KB by
default, a quarter of Kafka's default record limit): a larger one is refused
with ``StateEntryTooLargeError`` naming the rule and key, which reaches
``on_rule_error`` like any rule failure; none of the step's entries is written.
Rules keep entries small with pages (see ``pages``); the engine keeps an index
of each key's pages, rebuilt from the store with the timers.

The engine names the rule step whose rule code is running (``step_in_progress``, readable
from another thread) and skips the steps it is told to (``skipped``: their labels), each as a
failed step: the runtime's stall watch names a rule stuck in a loop, and quarantines it there.
A step quarantined while its rule code runs can be ended where it is (``end_skipped_step``,
from a signal handler in the engine's thread): it fails like a skipped one, and saves nothing,
since a step writes its keys only once the rule code of every one of them has returned.
"""

from __future__ import annotations

import bisect
import heapq
import sys
from collections.abc import Callable, Container, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, NamedTuple, TypeVar

import orjson

from services.detectors.core.alerts import Alert, build_alert
from services.detectors.core.config import RuleConfig, RuleSet
from services.detectors.core.eventtime import event_time, format_time, parse_time
from services.detectors.core.model import Event, Finding
from services.detectors.core.pages import PAGE_SEPARATOR, Page, StoredPages, page_key
from services.detectors.core.rule import (
    GLOBAL_KEY_PREFIX,
    RuleContext,
    SingleEventRule,
    StatefulRule,
    Step,
)
from services.detectors.core.state import (
    InMemoryStateStore,
    StateEntryTooLargeError,
    StateStore,
    StoredState,
)
from services.detectors.errors import RuleEvaluationError, StepQuarantinedError

END_OF_TIME = datetime.max.replace(tzinfo=UTC)
DEFAULT_MAX_ENTRY_BYTES = 256 * 1024


class Scope(StrEnum):
    """Which rules an engine runs: all, those keyed by school, or the global ones."""

    ALL = "all"
    SCHOOL = "school"
    GLOBAL = "global"


class RuleStep(NamedTuple):
    """One step of a rule: on an event, or its timer on a key (``key`` and ``due`` set)."""

    rule_id: str
    rule_version: str
    event_id: str | None
    key: str | None = None
    due: datetime | None = None

    @property
    def label(self) -> str:
        """The step's name across processes and restarts; with the rule's version, so that a
        release that changes the rule runs the step again."""
        if self.key is None:
            subject = f"event {self.event_id}"
        else:
            subject = f"timer {self.key} at {format_time(self.due) if self.due else None}"
        return f"{self.rule_id}@{self.rule_version} {subject}"


_Stepping = tuple[RuleConfig, Event | None, str | None, datetime | None]
_Result = TypeVar("_Result")


class Engine:
    def __init__(
        self,
        rule_set: RuleSet,
        store: StateStore | None = None,
        *,
        scope: Scope = Scope.ALL,
        watermark: datetime | None = None,
        on_rule_error: Callable[[RuleEvaluationError], None] | None = None,
        max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
        skipped: Container[str] = frozenset(),
    ) -> None:
        """``skipped``: labels of steps not to run (``RuleStep.label``); the caller may add to it
        while the engine runs."""
        self.rule_set = rule_set
        self.store = store if store is not None else InMemoryStateStore()
        self._on_rule_error = on_rule_error
        self._max_entry_bytes = max_entry_bytes
        self._skipped = skipped
        self._stepping: _Stepping | None = None
        self._latest_event_time = watermark + rule_set.allowed_lateness if watermark else None
        self._configs = {c.rule_id: c for c in rule_set.enabled() if _in_scope(c, scope)}
        self._by_type: dict[str, list[RuleConfig]] = {}
        for config in self._configs.values():
            for event_type in sorted(config.rule.meta.event_types):
                self._by_type.setdefault(event_type, []).append(config)
        self._timers: list[tuple[datetime, str, str]] = []
        self._pages: dict[tuple[str, str], list[str]] = {}
        """Each key's page names, sorted; a name is one string object however many keys use it
        (a district's schools name their pages alike): a set of fresh strings per key took 4.2 MB
        at 100 schools, this 0.6 MB."""
        for rule_id, key, entry in self.store.items():
            if rule_id not in self._configs:
                continue
            owner, is_page, page = key.partition(PAGE_SEPARATOR)
            if is_page:
                self._pages.setdefault((rule_id, owner), []).append(sys.intern(page))
            elif entry.get("timer"):
                heapq.heappush(self._timers, (parse_time(entry["timer"]), rule_id, key))
        for names in self._pages.values():
            names.sort()

    @property
    def event_time(self) -> datetime | None:
        """The latest event time reached: the watermark before the allowed lateness."""
        return self._latest_event_time

    @property
    def watermark(self) -> datetime | None:
        if self._latest_event_time is None:
            return None
        return self._latest_event_time - self.rule_set.allowed_lateness

    def step_in_progress(self) -> RuleStep | None:
        """The rule step whose rule code runs now, if any (safe to call from another thread)."""
        stepping = self._stepping
        if stepping is None:
            return None
        config, event, key, due = stepping
        return RuleStep(
            config.rule_id, config.rule.meta.version, event.get("id") if event else None, key, due
        )

    def state_keys(self, event: Event) -> list[tuple[str, str]]:
        """(rule id, state key) pairs the event updates: the runtime's routing keys."""
        return [
            (config.rule_id, key)
            for config in self._by_type.get(event["type"], ())
            if isinstance(config.rule, StatefulRule)
            for key in config.rule.state_keys(event, config.params)
        ]

    def process(self, event: Event, *, detected_at: datetime) -> list[Alert]:
        moment = event_time(event)
        alerts: list[Alert] = []
        for config in self._by_type.get(event["type"], ()):
            findings = self._guarded(config, event, partial(self._apply, config, event))
            alerts.extend(self._alerts(config, findings, detected_at))
        alerts.extend(self.advance_watermark(moment, detected_at=detected_at))
        return alerts

    def advance_watermark(self, moment: datetime, *, detected_at: datetime) -> list[Alert]:
        """Record that event time has reached ``moment`` and fire the timers now due."""
        if self._latest_event_time is None or moment > self._latest_event_time:
            self._latest_event_time = moment
        return self._fire_due(self.watermark, detected_at)

    def flush(self, *, detected_at: datetime) -> list[Alert]:
        """Fire every pending timer: the input is complete (end of a bounded replay)."""
        return self._fire_due(END_OF_TIME, detected_at)

    def end_skipped_step(self) -> None:
        """Raise ``StepQuarantinedError`` if rule code of a step to skip is running: called by a
        signal handler in the engine's thread, it ends there a step quarantined while it ran.
        Between steps, or in the engine's own code, it does nothing."""
        step = self.step_in_progress()
        if step is not None and step.label in self._skipped:
            raise StepQuarantinedError(step.label)

    def _apply(self, config: RuleConfig, event: Event) -> tuple[Finding, ...]:
        rule = config.rule
        if isinstance(rule, SingleEventRule):
            return self._run_rule(
                (config, event, None, None), lambda: tuple(rule.evaluate(event, config.params))
            )
        steps: list[tuple[str, Step, StoredState | None]] = []
        for key in dict.fromkeys(rule.state_keys(event, config.params)):
            _check_partitioning(rule, key, event)
            entry = self.store.get(config.rule_id, key)
            state = _handed(rule, entry["state"]) if entry else {}
            context = RuleContext(
                config.params,
                self.watermark,
                key,
                self._key_pages(config.rule_id, key),
                _timer(entry),
            )
            step = self._run_rule(
                (config, event, None, None), partial(rule.on_event, state, event, context)
            )
            steps.append((key, step, entry))
        findings: list[Finding] = []
        for key, step, entry in steps:
            self._save(config.rule_id, key, step, entry)
            findings.extend(step.findings)
        return tuple(findings)

    def _fire_due(self, watermark: datetime | None, detected_at: datetime) -> list[Alert]:
        alerts: list[Alert] = []
        while watermark is not None and self._timers and self._timers[0][0] <= watermark:
            due, rule_id, key = heapq.heappop(self._timers)
            entry = self.store.get(rule_id, key)
            if entry is None or entry.get("timer") != format_time(due):
                continue  # superseded: the key's timer moved or its state was dropped
            config = self._configs[rule_id]
            context = RuleContext(
                config.params,
                watermark if watermark is not END_OF_TIME else due,
                key,
                self._key_pages(rule_id, key),
                due,
            )
            findings = self._guarded(
                config,
                None,
                partial(
                    self._fire, config, key, due, _handed(config.rule, entry["state"]), context
                ),
            )
            alerts.extend(self._alerts(config, findings, detected_at))
        return alerts

    def _fire(
        self,
        config: RuleConfig,
        key: str,
        due: datetime,
        state: dict[str, Any],
        context: RuleContext[Any],
    ) -> tuple[Finding, ...]:
        rule: StatefulRule[Any] = config.rule  # type: ignore[assignment]  # only stateful rules set timers
        step = self._run_rule((config, None, key, due), partial(rule.on_timer, state, context))
        self._save(config.rule_id, key, step, None)
        return step.findings

    def _key_pages(self, rule_id: str, key: str) -> StoredPages:
        return StoredPages(self.store, rule_id, key, self._pages.get((rule_id, key), []))

    def _save(self, rule_id: str, key: str, step: Step, previous: dict[str, Any] | None) -> None:
        """Write the key and its changed pages, all or nothing if one is too large.

        A key whose step returned the very state it was handed, with the same timer, is not
        written again: only a rule that copies its state itself gets the stored object
        (``copies_its_state``), and it never changes it.
        """
        timer = format_time(step.timer) if step.timer else None
        entry = None if step.state is None else {"state": step.state, "timer": timer}
        unchanged = (
            previous is not None
            and step.state is previous["state"]
            and previous.get("timer") == timer
        )
        if step.state is None:
            pages: Mapping[str, Page | None] = dict.fromkeys(self._pages.get((rule_id, key), ()))
        else:
            pages = step.pages
        writes = {
            page_key(key, page): {"state": value}
            for page, value in pages.items()
            if value is not None
        }
        encoded = {name: self._encoded(rule_id, name, value) for name, value in writes.items()}
        if entry is not None and not unchanged:
            encoded[key] = self._encoded(rule_id, key, entry)
        self._write_pages(rule_id, key, pages, writes, encoded)
        if entry is None:
            self.store.delete(rule_id, key)
            return
        if unchanged:
            return
        self.store.put(rule_id, key, entry, encoded[key])
        if timer is not None and (previous is None or previous.get("timer") != timer):
            heapq.heappush(self._timers, (parse_time(timer), rule_id, key))

    def _write_pages(
        self,
        rule_id: str,
        key: str,
        pages: Mapping[str, Page | None],
        writes: Mapping[str, StoredState],
        encoded: Mapping[str, bytes],
    ) -> None:
        if not pages:
            return
        names = self._pages.setdefault((rule_id, key), [])
        for page in pages:
            name = page_key(key, page)
            at = bisect.bisect_left(names, page)
            indexed = at < len(names) and names[at] == page
            if name in writes:
                self.store.put(rule_id, name, writes[name], encoded[name])
                if not indexed:
                    names.insert(at, sys.intern(page))
            else:
                self.store.delete(rule_id, name)
                if indexed:
                    del names[at]
        if not names:
            del self._pages[(rule_id, key)]

    def _encoded(self, rule_id: str, key: str, entry: StoredState) -> bytes:
        encoded = orjson.dumps(entry)
        if len(encoded) > self._max_entry_bytes:
            raise StateEntryTooLargeError(rule_id, key, len(encoded), self._max_entry_bytes)
        return encoded

    def _run_rule(self, stepping: _Stepping, rule_code: Callable[[], _Result]) -> _Result:
        """Run one step's rule code, named while it runs; a skipped step raises instead."""
        self._stepping = stepping
        try:
            if self._skipped:
                self.end_skipped_step()
            return rule_code()
        finally:
            self._stepping = None

    def _guarded(
        self, config: RuleConfig, event: Event | None, run: Callable[[], tuple[Finding, ...]]
    ) -> tuple[Finding, ...]:
        """``run`` a step, a failure (``end_skipped_step``'s included) reported as a rule error."""
        try:
            return run()
        except Exception as exc:
            error = RuleEvaluationError(config.rule_id, event.get("id") if event else None, exc)
            if self._on_rule_error is None:
                raise error from exc
            self._on_rule_error(error)
            return ()

    def _alerts(
        self, config: RuleConfig, findings: tuple[Finding, ...], detected_at: datetime
    ) -> list[Alert]:
        return [
            build_alert(
                config,
                finding,
                rules_config_hash=self.rule_set.config_hash,
                detected_at=detected_at,
            )
            for finding in findings
        ]


def _handed(rule: StatefulRule[Any], state: dict[str, Any]) -> dict[str, Any]:
    """The state a step may change as it likes: most rules build on the dict they are handed,
    in place, and a step that fails must leave the stored one as it was. Copied through JSON,
    which every state already is (faster than copy.deepcopy): 1.4 % of the engine's time on
    the simulator mix, once F6 (nine tenths of it) copies only what it changes itself."""
    if rule.meta.copies_its_state:
        return state
    copied: dict[str, Any] = orjson.loads(orjson.dumps(state))
    return copied


def _timer(entry: StoredState | None) -> datetime | None:
    timer = entry.get("timer") if entry else None
    return parse_time(timer) if timer else None


def _in_scope(config: RuleConfig, scope: Scope) -> bool:
    if scope is Scope.ALL:
        return True
    is_global = isinstance(config.rule, StatefulRule) and config.rule.meta.global_state
    return is_global == (scope is Scope.GLOBAL)


def _check_partitioning(rule: StatefulRule[Any], key: str, event: Mapping[str, Any]) -> None:
    expected = GLOBAL_KEY_PREFIX if rule.meta.global_state else f"{event['schoolid']}|"
    if not key.startswith(expected):
        raise ValueError(
            f"state key {key!r} must start with {expected!r} to be partitioned correctly"
        )
    if PAGE_SEPARATOR in key:
        raise ValueError(f"state key {key!r} must not contain {PAGE_SEPARATOR!r}: it starts a page")
