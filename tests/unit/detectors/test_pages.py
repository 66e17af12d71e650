"""Pages (one key's state over several entries) and the engine's entry-size guard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from services.detectors.core.config import build_rule_set
from services.detectors.core.engine import Engine
from services.detectors.core.eventtime import event_time
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity, SubjectKind
from services.detectors.core.pages import NoPages, PageEdits, StoredPages, page_key, shard_of
from services.detectors.core.rule import (
    RuleMeta,
    StatefulRule,
    Step,
    global_key,
    partition_key,
    school_key,
)
from services.detectors.core.state import InMemoryStateStore, StateEntryTooLargeError
from services.detectors.errors import RuleEvaluationError
from services.detectors.testing import DETECTED_AT, at, event

MEAL = "cn.edu.qinglian.canteen.meal_service.v1"
DISH = "米" * 100  # the longest dish name the contract allows: 300 bytes of JSON


@dataclass(frozen=True)
class NoParameters:
    pass


def meal(event_id: str, moment: str, *, menu_items: int = 1) -> dict:
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
            "menu": [DISH] * menu_items,
            "accompanying_leaders": [],
        },
        at=moment,
        event_id=event_id,
    )


def meals_rule(*, rule_id: str = "TP", in_state: bool = False) -> StatefulRule:
    """Keeps each meal's menu in a page named by the meal (or, ``in_state``, in the key itself);
    one hour after the first meal, alerts with the number of meals and the pages it read."""

    def on_event(state, event, ctx):
        state = state or {**origin(event), "first": event["time"], "meals": 0, "menus": []}
        state["meals"] += 1
        if in_state:
            state["menus"] = [*state["menus"], event["data"]["menu"]]
            return Step(state, event_time(event) + timedelta(hours=1))
        pages = PageEdits(ctx.pages)
        pages.edit(event["id"])["menu"] = event["data"]["menu"]
        return Step(
            state, event_time({"time": state["first"]}) + timedelta(hours=1), pages=pages.changed
        )

    def on_timer(state, ctx):
        found = stored_finding(
            state,
            subject=(SubjectKind.SCHOOL, state["school"]),
            measured=state["meals"],
            threshold=0,
            comparison=Comparison.GT,
            evidence=ctx.pages.names() or ["none"],
            moment=ctx.watermark,
        )
        return Step(None, None, (found,))

    meta = RuleMeta(
        rule_id,
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
    )
    return StatefulRule(meta, lambda e, p: [school_key(e, "meals")], on_event, on_timer)


def engine_for(*rules, **options) -> Engine:
    rule_set = build_rule_set(rules, {"version": "t", "allowed_lateness_minutes": 0})
    return Engine(rule_set, **options)


def feed(engine: Engine, *events: dict) -> list:
    return [alert for e in events for alert in engine.process(e, detected_at=DETECTED_AT)]


class TestPages:
    def test_a_rule_reads_the_pages_it_wrote_and_they_go_with_the_key(self):
        engine = engine_for(meals_rule())
        feed(
            engine, meal("m1", "2026-09-01T12:00:00+08:00"), meal("m2", "2026-09-01T12:10:00+08:00")
        )
        assert sorted(key for _, key, _ in engine.store.items()) == [
            "500102001|meals",
            "500102001|meals#m1",
            "500102001|meals#m2",
        ]
        [alert] = feed(engine, meal("m3", "2026-09-01T13:00:00+08:00"))
        assert alert.evidence_event_ids == ("m1", "m2", "m3")
        assert len(engine.store) == 0

    def test_a_restarted_engine_finds_the_stored_pages(self):
        first = engine_for(meals_rule())
        feed(first, meal("m1", "2026-09-01T12:00:00+08:00"))
        restarted = engine_for(meals_rule(), store=InMemoryStateStore(first.store.snapshot()))
        [alert] = restarted.advance_watermark(
            at("2026-09-01T13:00:00+08:00"), detected_at=DETECTED_AT
        )
        assert alert.evidence_event_ids == ("m1",)
        assert len(restarted.store) == 0

    def test_a_rule_sees_its_pages_sorted_whatever_order_they_came_in(self):
        engine = engine_for(meals_rule())
        feed(
            engine, meal("m2", "2026-09-01T12:00:00+08:00"), meal("m1", "2026-09-01T12:10:00+08:00")
        )
        restarted = engine_for(meals_rule(), store=InMemoryStateStore(engine.store.snapshot()))
        for running in (engine, restarted):
            [alert] = feed(running, meal("m0", "2026-09-01T13:00:00+08:00"))
            assert alert.evidence_event_ids == ("m0", "m1", "m2")

    def test_stored_pages_know_their_names(self):
        pages = StoredPages(InMemoryStateStore(), "TP", "500102001|meals", ["a", "c"])
        assert ("a" in pages, "b" in pages, "c" in pages, "d" in pages, 1 in pages) == (
            True,
            False,
            True,
            False,
            False,
        )
        assert (pages.names(), len(pages)) == (["a", "c"], 2)

    def test_pages_belong_to_their_rule(self):
        engine = engine_for(meals_rule(), meals_rule(rule_id="TQ"))
        feed(engine, meal("m1", "2026-09-01T12:00:00+08:00"))
        [mine, other] = engine.flush(detected_at=DETECTED_AT)
        assert (mine.evidence_event_ids, other.evidence_event_ids) == (("m1",), ("m1",))

    def test_a_step_reads_its_own_page_edits(self):
        stored = {"a": {"n": 1}, "b": {"n": 2}}

        class Stored(NoPages):
            def get(self, page):
                return stored.get(page)

            def names(self):
                return sorted(stored)

            def __contains__(self, page):
                return page in stored

            def __len__(self):
                return len(stored)

        pages = PageEdits(Stored())
        pages.edit("a")["n"] = 10
        pages.edit("c")["n"] = 3
        pages.delete("b")
        assert pages.all() == {"a": {"n": 10}, "c": {"n": 3}}
        assert pages.names() == ["a", "c"]
        assert len(pages) == 2
        assert stored == {"a": {"n": 1}, "b": {"n": 2}}  # the stored pages are not touched
        pages.delete_all()
        assert pages.changed == {"a": None, "b": None}


class TestPartitionKeys:
    @pytest.mark.parametrize(
        ("key", "partition"),
        [
            ("500102001|meals", "500102001"),
            ("500102001|meals#7", "500102001"),
            ("global|ocds|500102", "global|ocds|500102"),
            ("global|ocds|500102#ocds-qlcq01-1", "global|ocds|500102"),
        ],
    )
    def test_a_page_lives_in_its_keys_partition(self, key, partition):
        assert partition_key(key) == partition

    def test_a_hash_sign_in_data_cannot_start_a_page(self):
        key = global_key("invoice", "NO#1%")
        assert key == "global|invoice|NO%231%25"
        assert partition_key(page_key(key, "x")) == key

    def test_shards_are_stable_across_processes(self):
        assert shard_of("G500102201407057314", 128) == "61"


class TestEntrySizeGuard:
    def test_an_entry_above_the_limit_names_the_rule_and_key(self):
        engine = engine_for(meals_rule(in_state=True), max_entry_bytes=10_000)
        feed(
            engine,
            *[meal(f"m{n}", f"2026-09-01T12:0{n}:00+08:00", menu_items=10) for n in range(3)],
        )
        with pytest.raises(RuleEvaluationError) as raised:
            feed(engine, meal("m9", "2026-09-01T12:09:00+08:00", menu_items=10))
        assert isinstance(raised.value.cause, StateEntryTooLargeError)
        assert re.search(
            r"rule TP state entry '500102001\|meals' is [\d,]+ bytes", str(raised.value)
        )

    def test_the_limit_applies_to_pages_and_a_refused_step_stores_none_of_them(self):
        errors: list[RuleEvaluationError] = []
        engine = engine_for(meals_rule(), max_entry_bytes=10_000, on_rule_error=errors.append)
        feed(engine, meal("m1", "2026-09-01T12:00:00+08:00"))
        feed(engine, meal("m2", "2026-09-01T12:01:00+08:00", menu_items=40))
        assert [(e.rule_id, e.cause.key) for e in errors] == [("TP", "500102001|meals#m2")]
        assert sorted(key for _, key, _ in engine.store.items()) == [
            "500102001|meals",
            "500102001|meals#m1",
        ]

    def test_the_default_limit_is_a_quarter_of_kafkas_record_limit(self):
        engine = engine_for(meals_rule(in_state=True))
        feed(engine, meal("m1", "2026-09-01T12:00:00+08:00", menu_items=860))  # 258,000 bytes
        with pytest.raises(RuleEvaluationError, match="above the limit of 262,144 bytes"):
            feed(engine, meal("m2", "2026-09-01T12:01:00+08:00", menu_items=20))
