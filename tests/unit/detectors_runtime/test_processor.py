"""Batches through the detectors: the school/global split gives the same alerts as one engine."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from services.detectors.core.config import build_rule_set
from services.detectors.core.rule import SingleEventRule, StatefulRule, global_key
from services.detectors.core.state import InMemoryStateStore
from services.detectors.errors import RuleEvaluationError
from services.detectors.runtime.processor import (
    AllRulesDetector,
    Forward,
    GlobalDetector,
    SchoolDetector,
)
from services.detectors.runtime.records import Record
from services.detectors.runtime.runner import Outputs, bundles
from tests.unit.detectors_runtime.fixture_rules import (
    RULES,
    encoded,
    fixture_rule_set,
    meal,
    payment,
    registration,
    standard_mix,
)

NOW = datetime(2024, 9, 10, tzinfo=UTC)
OUTPUTS = Outputs(
    alerts="t.alerts", deadletter="t.deadletter", repartitioned="t.global", partitions=6
)


def records(events: list[dict]) -> list[Record]:
    return [
        Record("raw", 0, offset, 1_725_000_000.0 + offset, e["schoolid"].encode(), encoded(e))
        for offset, e in enumerate(events)
    ]


def forwarded(forwards: list[Forward]) -> list[Record]:
    """The forwards as the runner publishes them (bundles, one partition's keys each)."""
    return [
        Record(r.topic, r.partition or 0, offset, r.timestamp, r.key, r.value)
        for offset, r in enumerate(bundles(forwards, OUTPUTS))
    ]


class ErrorLog:
    def __init__(self) -> None:
        self.errors: list[RuleEvaluationError] = []

    def __call__(self, error: RuleEvaluationError) -> None:
        self.errors.append(error)


def test_school_and_global_detectors_together_raise_the_alerts_of_one_engine() -> None:
    events = standard_mix(schools=12, days=3)
    rule_set = fixture_rule_set()
    school = SchoolDetector(
        rule_set, InMemoryStateStore(), on_rule_error=ErrorLog(), clock_topic="t.clock"
    )
    global_ = GlobalDetector(rule_set, InMemoryStateStore(), on_rule_error=ErrorLog())
    first = school.process(records(events), detected_at=NOW)
    second = global_.process(forwarded(first.forwards), detected_at=NOW)
    reference = AllRulesDetector(rule_set, on_rule_error=ErrorLog()).process(
        records(events), detected_at=NOW
    )

    split_ids = {raised.alert.alert_id for raised in first.alerts + second.alerts}
    assert split_ids == {raised.alert.alert_id for raised in reference.alerts}
    assert {raised.alert.rule_id for raised in second.alerts} == {"TG"}
    assert "TG" not in {raised.alert.rule_id for raised in first.alerts}


def test_alerts_carry_the_kafka_timestamp_of_the_record_that_raised_them() -> None:
    school = SchoolDetector(
        fixture_rule_set(), InMemoryStateStore(), on_rule_error=ErrorLog(), clock_topic="t.clock"
    )
    result = school.process(
        records([payment("500102000001", 1, 5), payment("500102000001", 2, 900_000)]),
        detected_at=NOW,
    )
    assert [(r.alert.rule_id, r.origin_timestamp) for r in result.alerts] == [
        ("TA", 1_725_000_001.0)
    ]


def test_unusable_records_are_rejected_and_the_batch_goes_on() -> None:
    school = SchoolDetector(
        fixture_rule_set(), InMemoryStateStore(), on_rule_error=ErrorLog(), clock_topic="t.clock"
    )
    good = records([payment("500102000001", 1, 900_000)])[0]
    bad = dataclasses.replace(good, offset=7, value=b"garbage")
    result = school.process([bad, good], detected_at=NOW)
    assert [(r.record.offset, r.problem.rule) for r in result.rejected] == [(7, "json")]
    assert [r.alert.rule_id for r in result.alerts] == ["TA"]


def test_a_failing_rule_is_reported_and_the_other_rules_still_see_the_event() -> None:
    def explode(event: object, params: object) -> list:
        raise ZeroDivisionError("boom")

    broken = SingleEventRule(dataclasses.replace(RULES[0].meta, id="TX"), explode)
    rule_set = build_rule_set((broken, RULES[0]), {"version": "t"})
    errors = ErrorLog()
    result = SchoolDetector(
        rule_set, InMemoryStateStore(), on_rule_error=errors, clock_topic="t.clock"
    ).process(records([payment("500102000001", 1, 900_000)]), detected_at=NOW)
    assert [r.alert.rule_id for r in result.alerts] == ["TA"]
    assert [(e.rule_id, e.event_id) for e in errors.errors] == [("TX", "ev-finance-500102000001-1")]
    assert result.rejected == []


def test_a_repartitioned_copy_updates_only_the_key_it_was_routed_by() -> None:
    def two_keys(event: dict, params: object) -> list[str]:
        return [global_key("person", event["data"]["person"]), global_key("person", "shadow")]

    rule = RULES[2]
    assert isinstance(rule, StatefulRule)
    rule_set = build_rule_set((dataclasses.replace(rule, state_keys=two_keys),), {"version": "t"})
    store = InMemoryStateStore()
    event = registration("500102000001", 1, "P1")
    copy = Forward(global_key("person", "P1"), "TG", event, None)
    GlobalDetector(rule_set, store, on_rule_error=ErrorLog()).process(
        forwarded([copy]), detected_at=NOW
    )
    assert [key for _, key, _ in store.items()] == [global_key("person", "P1")]


def test_restart_rebuilds_timers_from_the_store_and_keeps_the_watermark() -> None:
    store = InMemoryStateStore()
    school = SchoolDetector(
        fixture_rule_set(), store, on_rule_error=ErrorLog(), clock_topic="t.clock"
    )
    day_one = [meal("500102000001", n, minutes=n) for n in range(3)]
    school.process(records(day_one), detected_at=NOW)
    school.restart()
    next_day = meal("500102000001", 9, minutes=24 * 60 + 1)
    result = school.process(records([next_day]), detected_at=NOW)
    assert [r.alert.rule_id for r in result.alerts] == ["TB"]


def test_a_bundle_forward_of_a_rule_not_enabled_is_rejected_alone() -> None:
    event = registration("500102000001", 1, "P1")
    forwards = [
        Forward(global_key("person", "P1"), "TX", event, None),
        Forward(global_key("person", "P1"), "TG", event, 2.0),
    ]
    global_ = GlobalDetector(fixture_rule_set(), InMemoryStateStore(), on_rule_error=ErrorLog())
    result = global_.process(forwarded(forwards), detected_at=NOW)
    assert [(r.item, r.problem.rule) for r in result.rejected] == [(0, "rules_config")]
    assert result.processed_types == [event["type"]]
