from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

import orjson
import pytest

from services.detectors.core.config import build_rule_set
from services.detectors.core.engine import Engine, RuleStep, Scope
from services.detectors.core.eventtime import event_time
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity, SubjectKind
from services.detectors.core.rule import RuleMeta, StatefulRule, Step, global_key, school_key
from services.detectors.core.state import InMemoryStateStore
from services.detectors.errors import RuleEvaluationError, StepQuarantinedError
from services.detectors.rules.procurement.fixtures import contract
from services.detectors.rules.procurement.p3_split_purchases import RULE as P3
from services.detectors.testing import DETECTED_AT, OTHER_SCHOOL, at, event

MEAL = "cn.edu.qinglian.canteen.meal_service.v1"


@dataclass(frozen=True)
class NoParameters:
    pass


def meal(event_id: str, moment: str, *, school: str = "500102001") -> dict:
    return event(
        "canteen.meal_service",
        {
            "service_id": f"MS-{event_id}",
            "service_date": moment[:10],
            "meal": "lunch",
            "served_at": moment,
            "student_meals": 100,
            "subsidized_meals": 80,
            "staff_meals": 5,
            "menu": ["米饭"],
            "accompanying_leaders": [],
        },
        at=moment,
        event_id=event_id,
        school=school,
    )


def deadline_rule(
    *, key=lambda e, p: [school_key(e, "deadline")], global_state: bool = False
) -> StatefulRule:
    """Alerts one hour of event time after the first meal it sees (a stand-in for a deadline rule)."""

    def on_event(state, event, ctx):
        state = state or {**origin(event), "first": event["time"], "id": event["id"]}
        return Step(state, event_time({"time": state["first"]}) + timedelta(hours=1))

    def on_timer(state, ctx):
        moment = event_time({"time": state["first"]}) + timedelta(hours=1)
        found = stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=1,
            threshold=0,
            comparison=Comparison.GT,
            evidence=[state["id"]],
            moment=moment,
        )
        return Step(None, None, (found,))

    meta = RuleMeta(
        "T1",
        "1.0.0",
        "测试",
        "Test",
        "测试依据",
        RuleKind.WINDOWED,
        Severity.YELLOW,
        RiskArea.CANTEEN,
        NoParameters,
        frozenset({MEAL}),
        "Test rule.",
        global_state,
    )
    return StatefulRule(meta, key, on_event, on_timer)


def engine_for(*rules, lateness_minutes: int = 30, **options) -> Engine:
    rule_set = build_rule_set(rules, {"version": "t", "allowed_lateness_minutes": lateness_minutes})
    return Engine(rule_set, **options)


class TestWatermark:
    def test_timer_waits_for_the_allowed_lateness(self):
        engine = engine_for(deadline_rule())
        assert (
            engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT) == []
        )
        assert (
            engine.process(meal("m2", "2026-09-01T13:20:00+08:00"), detected_at=DETECTED_AT) == []
        )
        assert engine.watermark == at("2026-09-01T12:50:00+08:00")
        [alert] = engine.process(meal("m3", "2026-09-01T13:30:00+08:00"), detected_at=DETECTED_AT)
        assert alert.event_time == "2026-09-01T13:00:00+08:00"
        assert alert.detected_at == "2030-01-01T00:00:00+08:00"

    def test_advancing_the_watermark_without_events_fires_due_timers(self):
        engine = engine_for(deadline_rule())
        engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
        assert (
            engine.advance_watermark(at("2026-09-01T13:29:00+08:00"), detected_at=DETECTED_AT) == []
        )
        assert (
            len(engine.advance_watermark(at("2026-09-01T13:30:00+08:00"), detected_at=DETECTED_AT))
            == 1
        )

    def test_the_watermark_never_goes_back(self):
        engine = engine_for(deadline_rule())
        engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
        engine.process(meal("m0", "2026-09-01T08:00:00+08:00"), detected_at=DETECTED_AT)
        assert engine.watermark == at("2026-09-01T11:30:00+08:00")

    def test_flush_fires_every_pending_timer(self):
        engine = engine_for(deadline_rule())
        engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
        assert len(engine.flush(detected_at=DETECTED_AT)) == 1
        assert len(engine.store) == 0


class TestRecovery:
    def test_a_restarted_engine_on_the_stored_state_gives_the_undisturbed_alerts(self):
        wan = 1_000_000
        events = [
            contract(name, value * wan, at=f"2026-{month:02d}-10T10:00:00+08:00")
            for name, value, month in [("A", 80, 2), ("B", 70, 4), ("C", 60, 6), ("D", 50, 8)]
        ]
        undisturbed = engine_for(P3)
        expected = [a for e in events for a in undisturbed.process(e, detected_at=DETECTED_AT)]

        first = engine_for(P3)
        alerts = [a for e in events[:2] for a in first.process(e, detected_at=DETECTED_AT)]
        snapshot = first.store.snapshot()
        restarted = engine_for(P3, store=InMemoryStateStore(snapshot), watermark=first.watermark)
        alerts += [
            a for e in events[1:] for a in restarted.process(e, detected_at=DETECTED_AT)
        ]  # B re-delivered
        assert alerts == expected and len(expected) == 1

    def test_timers_are_rebuilt_from_the_store(self):
        first = engine_for(deadline_rule())
        first.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
        restarted = engine_for(deadline_rule(), store=InMemoryStateStore(first.store.snapshot()))
        assert (
            len(
                restarted.advance_watermark(
                    at("2026-09-01T14:00:00+08:00"), detected_at=DETECTED_AT
                )
            )
            == 1
        )


class TestPartitioning:
    def test_school_rule_keys_must_start_with_the_school(self):
        engine = engine_for(deadline_rule(key=lambda e, p: ["somewhere-else"]))
        with pytest.raises(RuleEvaluationError, match=re.escape("must start with '500102001|'")):
            engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)

    def test_global_rule_keys_must_start_with_global(self):
        engine = engine_for(deadline_rule(key=lambda e, p: [school_key(e)], global_state=True))
        with pytest.raises(RuleEvaluationError, match=re.escape("must start with 'global|'")):
            engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)

    def test_state_keys_are_the_routing_keys(self):
        engine = engine_for(deadline_rule(), P3)
        assert engine.state_keys(meal("m1", "2026-09-01T12:00:00+08:00", school=OTHER_SCHOOL)) == [
            ("T1", f"{OTHER_SCHOOL}|deadline")
        ]

    def test_scopes_split_school_and_global_rules(self):
        global_rule = deadline_rule(key=lambda e, p: [global_key("all")], global_state=True)
        school = engine_for(global_rule, store=None, scope=Scope.SCHOOL)
        glob = engine_for(global_rule, scope=Scope.GLOBAL)
        assert school.state_keys(meal("m1", "2026-09-01T12:00:00+08:00")) == []
        assert glob.state_keys(meal("m1", "2026-09-01T12:00:00+08:00")) == [("T1", "global|all")]


def test_a_failing_rule_is_reported_and_the_others_still_run():
    def broken(state, event, ctx):
        raise KeyError("student")

    failing = StatefulRule(
        replace(deadline_rule().meta, id="T0"), lambda e, p: [school_key(e)], broken, broken
    )
    errors = []
    engine = engine_for(failing, deadline_rule(), on_rule_error=errors.append)
    engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
    assert [(e.rule_id, e.event_id) for e in errors] == [("T0", "m1")]
    assert len(engine.flush(detected_at=DETECTED_AT)) == 1


def counting_rule(*, fail_on: str | None = None) -> StatefulRule:
    """Records meals in place in the state it is handed, and raises on the meal ``fail_on``
    after recording it, as a buggy rule would."""

    def on_event(state, event, ctx):
        state = state or {**origin(event), "meals": []}
        state["meals"].append(event["id"])
        if event["id"] == fail_on:
            raise ValueError("a bug after the change")
        return Step(state, None)

    return StatefulRule(
        replace(deadline_rule().meta, id="T2"),
        lambda e, p: [school_key(e, "count")],
        on_event,
        lambda state, ctx: Step(state, None),
    )


def meals_recorded(engine: Engine, count: int) -> list[str]:
    for index in range(count):
        engine.process(
            meal(f"m{index}", f"2026-09-01T12:0{index}:00+08:00"), detected_at=DETECTED_AT
        )
    [(_, _, stored)] = list(engine.store.items())
    return stored["state"]["meals"]


@pytest.mark.parametrize("fail_on", ["m1", "m2"])
def test_a_failed_step_leaves_the_stored_state_as_it_was(fail_on):
    """The rule changes its state in place before it raises: the store does not see it."""
    errors = []
    engine = engine_for(counting_rule(fail_on=fail_on), on_rule_error=errors.append)
    assert meals_recorded(engine, 3) == [m for m in ("m0", "m1", "m2") if m != fail_on]
    assert [e.event_id for e in errors] == [fail_on]


def test_an_entry_too_large_leaves_the_stored_state_as_it_was():
    """The step that would pass the limit is refused whole: the stored entry stays under it."""
    errors = []
    engine = engine_for(counting_rule(), on_rule_error=errors.append, max_entry_bytes=120)
    kept = meals_recorded(engine, 10)
    assert errors, "the limit was reached"
    assert kept == [f"m{i}" for i in range(len(kept))]
    [(_, _, stored)] = list(engine.store.items())
    assert len(orjson.dumps(stored)) <= 120


class CountingStore(InMemoryStateStore):
    def __init__(self) -> None:
        super().__init__()
        self.puts: list[str] = []

    def put(self, rule_id, key, value, encoded):
        self.puts.append(key)
        super().put(rule_id, key, value, encoded)


def test_a_key_handed_back_unchanged_is_not_written_again():
    """A rule that copies what it changes returns the stored state itself when nothing changed."""

    def on_event(state, event, ctx):
        return Step(state or {**origin(event), "first": event["id"]}, None)

    keeps = StatefulRule(
        replace(deadline_rule().meta, id="T3", copies_its_state=True),
        lambda e, p: [school_key(e, "first")],
        on_event,
        lambda state, ctx: Step(state, None),
    )
    store = CountingStore()
    engine = engine_for(keeps, store=store)
    for index in range(3):
        engine.process(
            meal(f"m{index}", f"2026-09-01T12:0{index}:00+08:00"), detected_at=DETECTED_AT
        )
    assert store.puts == ["500102001|first"]
    assert store.get("T3", "500102001|first")["state"]["first"] == "m0"


def test_a_step_sees_its_keys_pending_timer():
    seen = []

    def on_event(state, event, ctx):
        seen.append(ctx.timer)
        return Step(state or {**origin(event)}, at("2026-09-02T00:00:00+08:00"))

    def on_timer(state, ctx):
        seen.append(ctx.timer)
        return Step(None, None)

    timed = StatefulRule(
        replace(deadline_rule().meta, id="T4"), deadline_rule().state_keys, on_event, on_timer
    )
    engine = engine_for(timed)
    for index in range(2):
        engine.process(
            meal(f"m{index}", f"2026-09-01T12:0{index}:00+08:00"), detected_at=DETECTED_AT
        )
    engine.flush(detected_at=DETECTED_AT)
    assert seen == [None, at("2026-09-02T00:00:00+08:00"), at("2026-09-02T00:00:00+08:00")]


def test_the_step_in_progress_is_named_and_none_between_steps():
    engine: Engine
    seen = []

    def on_event(state, event, ctx):
        seen.append(engine.step_in_progress())
        return Step(state or {**origin(event)}, at("2026-09-02T00:00:00+08:00"))

    def on_timer(state, ctx):
        seen.append(engine.step_in_progress())
        return Step(None, None)

    watched = StatefulRule(
        replace(deadline_rule().meta, id="T5"), deadline_rule().state_keys, on_event, on_timer
    )
    engine = engine_for(watched)
    engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
    assert engine.step_in_progress() is None
    engine.flush(detected_at=DETECTED_AT)
    assert seen == [
        RuleStep("T5", "1.0.0", "m1"),
        RuleStep("T5", "1.0.0", None, "500102001|deadline", at("2026-09-02T00:00:00+08:00")),
    ]
    assert [step.label for step in seen] == [
        "T5@1.0.0 event m1",
        "T5@1.0.0 timer 500102001|deadline at 2026-09-02T00:00:00+08:00",
    ]
    assert engine.step_in_progress() is None


def test_a_skipped_step_is_reported_as_failed_and_the_event_s_other_rules_run():
    """A quarantined step: that rule on that event only; its timer, added to the set while the
    engine runs, is skipped as well."""
    skipped = {"T1@1.0.0 event m1"}
    errors = []
    engine = engine_for(
        deadline_rule(), counting_rule(), on_rule_error=errors.append, skipped=skipped
    )
    engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
    engine.process(meal("m2", "2026-09-01T12:01:00+08:00"), detected_at=DETECTED_AT)
    assert [(e.rule_id, e.event_id, type(e.cause)) for e in errors] == [
        ("T1", "m1", StepQuarantinedError)
    ]
    assert "T1@1.0.0 event m1" in str(errors[0])
    assert engine.store.get("T2", "500102001|count")["state"]["meals"] == ["m1", "m2"]
    [(_, _, stored)] = [item for item in engine.store.items() if item[0] == "T1"]
    assert stored["state"]["id"] == "m2"  # the deadline counts from the meal T1 did see
    skipped.add(f"T1@1.0.0 timer 500102001|deadline at {stored['timer']}")
    assert engine.flush(detected_at=DETECTED_AT) == []
    assert [e.rule_id for e in errors] == ["T1", "T1"]


def test_a_step_quarantined_while_its_rule_code_runs_ends_there_and_saves_none_of_its_keys():
    """What the worker's signal handler does (``interrupt``): the rule has written its first key's
    state, and is stuck on the second, when the step is quarantined."""
    engine: Engine
    skipped: set[str] = set()

    def on_event(state, event, ctx):
        if ctx.key.endswith("second") and event["id"] == "m2":
            skipped.add("T6@1.0.0 event m2")
            engine.end_skipped_step()
            raise AssertionError("the quarantined step went on")
        return Step({**origin(event), "last": event["id"]}, None)

    two_keys = StatefulRule(
        replace(deadline_rule().meta, id="T6"),
        lambda e, p: [school_key(e, "first"), school_key(e, "second")],
        on_event,
        lambda state, ctx: Step(state, None),
    )
    errors = []
    engine = engine_for(two_keys, counting_rule(), on_rule_error=errors.append, skipped=skipped)
    engine.end_skipped_step()  # between steps: nothing to end

    def last_seen() -> list[tuple[str, str]]:
        return [
            (key, stored["state"]["last"])
            for rule_id, key, stored in engine.store.items()
            if rule_id == "T6"
        ]

    engine.process(meal("m1", "2026-09-01T12:01:00+08:00"), detected_at=DETECTED_AT)
    engine.process(meal("m2", "2026-09-01T12:02:00+08:00"), detected_at=DETECTED_AT)
    assert [(e.rule_id, e.event_id, type(e.cause)) for e in errors] == [
        ("T6", "m2", StepQuarantinedError)
    ]
    assert last_seen() == [("500102001|first", "m1"), ("500102001|second", "m1")]
    assert engine.store.get("T2", "500102001|count")["state"]["meals"] == ["m1", "m2"]
    engine.process(meal("m3", "2026-09-01T12:03:00+08:00"), detected_at=DETECTED_AT)
    assert last_seen() == [("500102001|first", "m3"), ("500102001|second", "m3")]


def test_a_running_step_not_to_skip_is_not_ended():
    engine: Engine
    ended = []

    def on_event(state, event, ctx):
        engine.end_skipped_step()
        ended.append(False)
        return Step(state, None)

    engine = engine_for(
        StatefulRule(
            replace(deadline_rule().meta, id="T7"),
            deadline_rule().state_keys,
            on_event,
            lambda state, ctx: Step(state, None),
        ),
        skipped={"T7@1.0.0 event other"},
    )
    engine.process(meal("m1", "2026-09-01T12:00:00+08:00"), detected_at=DETECTED_AT)
    assert ended == [False]
