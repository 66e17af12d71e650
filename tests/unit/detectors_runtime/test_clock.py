"""Clock declarations: event time moves to a declared moment although no event says so."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.detectors.core.config import build_rule_set
from services.detectors.core.eventtime import event_time, local_date
from services.detectors.core.rule import StatefulRule, global_key
from services.detectors.core.state import InMemoryStateStore
from services.detectors.runtime.messages import (
    Forward,
    Tick,
    clock_record,
    read_clock,
    read_forwarded,
)
from services.detectors.runtime.partitioning import DECLARATIONS, declaration_key, partition_for
from services.detectors.runtime.processor import AllRulesDetector, GlobalDetector, SchoolDetector
from services.detectors.runtime.records import Record, UnusableRecord
from services.detectors.runtime.runner import Outputs, bundles
from tests.unit.detectors_runtime.fixture_rules import (
    BASE,
    RULES,
    encoded,
    fixture_rule_set,
    meal,
    payment,
)

NOW = datetime(2024, 9, 10, tzinfo=UTC)
CLOCK = "t.clock"
OUTPUTS = Outputs(
    alerts="t.alerts", deadletter="t.deadletter", repartitioned="t.global", partitions=6
)
SCHOOL = "500102000001"
NEXT_MORNING = BASE + timedelta(days=1)
"""Past day 0's end and the hour of allowed lateness: day 0's window (rule TB) closes."""


def raw(events: list[dict], partition: int = 0) -> list[Record]:
    return [
        Record("raw", partition, offset, 1_725_000_000.0, SCHOOL.encode(), encoded(e))
        for offset, e in enumerate(events)
    ]


def clock(through: datetime, partition: int = 0, offset: int = 0) -> Record:
    return Record(CLOCK, partition, offset, 1_725_000_100.0, None, clock_record(through))


def day_zero_meals() -> list[dict]:
    """Four meals on day 0: rule TB raises its alert once day 0 is over in event time."""
    return [meal(SCHOOL, n, minutes=n) for n in range(4)]


def school_detector(store: InMemoryStateStore | None = None) -> SchoolDetector:
    return SchoolDetector(
        fixture_rule_set(),
        InMemoryStateStore() if store is None else store,
        on_rule_error=pytest.fail,
        clock_topic=CLOCK,
    )


def test_a_clock_record_reads_back_as_its_declaration() -> None:
    assert read_clock(clock(NEXT_MORNING, partition=3)) == Tick(NEXT_MORNING, 3, 1_725_000_100.0)
    for value, rule in [
        (b"{", "json"),
        (b'{"through": "tomorrow"}', "format"),
        (b'{"through": "2024-09-03T08:00:00"}', "format"),
        (b"[]", "required"),
    ]:
        with pytest.raises(UnusableRecord) as refused:
            read_clock(dataclasses.replace(clock(NEXT_MORNING), value=value))
        assert refused.value.rule == rule


def test_a_declaration_without_an_offset_is_refused_before_it_is_written() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        clock_record(datetime(2024, 9, 3, 8))


def test_a_tick_reaches_every_partition_after_the_forwards_before_it() -> None:
    before = Forward(global_key("person", "P1"), "TG", meal(SCHOOL, 1), None)
    after = Forward(global_key("person", "P2"), "TG", meal(SCHOOL, 2), None)
    tick = Tick(NEXT_MORNING, 2, None)
    by_partition = {
        record.partition: read_forwarded(record)
        for record in raw_records(bundles([before, tick, after], OUTPUTS))
    }

    assert set(by_partition) == set(range(OUTPUTS.partitions))
    for items in by_partition.values():
        assert tick in items
        assert before not in items[items.index(tick) :]
        assert after not in items[: items.index(tick)]


def raw_records(outgoing: list) -> list[Record]:
    return [
        Record(o.topic, o.partition, n, o.timestamp, o.key, o.value) for n, o in enumerate(outgoing)
    ]


def test_a_declaration_closes_a_school_window_and_is_passed_on_to_the_global_rules() -> None:
    detector = school_detector()
    meals = detector.process(raw(day_zero_meals()), detected_at=NOW)
    assert meals.alerts == [] and meals.forwards == []

    declared = detector.process([clock(NEXT_MORNING, partition=4)], detected_at=NOW)

    assert [raised.alert.rule_id for raised in declared.alerts] == ["TB"]
    assert declared.forwards == [Tick(NEXT_MORNING, 4, 1_725_000_100.0)]
    assert declared.processed_types == []
    assert detector.watermark == NEXT_MORNING - timedelta(
        hours=1
    )  # the allowed lateness still applies


def test_a_declaration_waits_for_the_partitions_still_unread() -> None:
    detector = school_detector()
    events = [*day_zero_meals(), payment(SCHOOL, 9, 5_000, minutes=30)]
    detector.clocks.start_batch({("raw", 0): len(events), (CLOCK, 0): 1}, {})
    assert detector.reads_declarations([clock(NEXT_MORNING)]) and not detector.reads_declarations(
        raw(events)
    )

    early = detector.process([clock(NEXT_MORNING)], detected_at=NOW)
    assert early.alerts == [] and early.forwards == []

    late = detector.process(raw(events), detected_at=NOW)
    assert [raised.alert.rule_id for raised in late.alerts] == ["TB"]
    assert late.forwards == [Tick(NEXT_MORNING, 0, 1_725_000_100.0)]


@pytest.mark.parametrize(
    "declaration_first", [False, True], ids=["declaration last", "declaration first"]
)
def test_a_record_refused_at_the_end_of_a_partition_does_not_hold_a_declaration_back(
    declaration_first: bool,
) -> None:
    """The refused record is read (and goes to the dead letters): once it is, its partition has
    nothing left unread, and the declaration moves the event time in the same batch, although
    no event follows to move it."""
    detector = school_detector()
    meals = raw(day_zero_meals())
    refused = dataclasses.replace(meals[-1], offset=len(meals), value=b"{not json")
    detector.clocks.start_batch({("raw", 0): len(meals) + 1, (CLOCK, 0): 1}, {})
    records = (
        [clock(NEXT_MORNING), *meals, refused]
        if declaration_first
        else [*meals, refused, clock(NEXT_MORNING)]
    )

    result = detector.process(records, detected_at=NOW)

    assert [rejected.problem.rule for rejected in result.rejected] == ["json"]
    assert [raised.alert.rule_id for raised in result.alerts] == ["TB"]
    assert result.forwards == [Tick(NEXT_MORNING, 0, 1_725_000_100.0)]


def test_a_record_refused_at_the_end_of_a_partition_does_not_hold_a_window_open() -> None:
    """No declaration here: the next day's event in partition 1 cannot close day 0 while partition
    0 has a record unread; once that record is read (and refused), nothing else comes, and the
    batch still closes the window."""
    detector = school_detector()
    meals = raw(day_zero_meals())
    next_day = raw([payment(SCHOOL, 9, 5_000, minutes=24 * 60 + 70)], partition=1)
    refused = dataclasses.replace(meals[-1], offset=len(meals), value=b"{not json")
    detector.clocks.start_batch({("raw", 0): len(meals) + 1, ("raw", 1): 1}, {})

    result = detector.process([*meals, *next_day, refused], detected_at=NOW)

    assert [raised.alert.rule_id for raised in result.alerts] == ["TB"]


def test_a_worker_that_restarts_still_holds_the_declaration_it_had_not_passed_on() -> None:
    store = InMemoryStateStore()
    events = [*day_zero_meals(), payment(SCHOOL, 9, 5_000, minutes=30)]
    first = school_detector(store)
    first.clocks.start_batch({("raw", 0): len(events), (CLOCK, 0): 1}, {})
    assert (
        first.process([clock(NEXT_MORNING)], detected_at=NOW).forwards == []
    )  # raw partition 0 unread

    restarted = school_detector(store)  # a new process: the clock record's offset was committed
    restarted.restart(owned={0})
    assert restarted.reads_declarations(raw(events)), (
        "its runner asks the broker for fresh end offsets"
    )
    restarted.clocks.start_batch({("raw", 0): len(events), (CLOCK, 0): 1}, {(CLOCK, 0): 1})
    late = restarted.process(raw(events), detected_at=NOW)

    assert [raised.alert.rule_id for raised in late.alerts] == ["TB"]
    assert late.forwards == [Tick(NEXT_MORNING, 0, 1_725_000_100.0)]
    assert store.get(DECLARATIONS, declaration_key(0)) is None  # passed on: not held any longer


def test_a_declaration_not_passed_on_goes_with_its_partition_through_a_rebalance() -> None:
    store = (
        InMemoryStateStore()
    )  # stands for both workers' stores: the changelog carries partition 1's over
    kept = school_detector(store)
    kept.clocks.start_batch({("raw", 0): 1, (CLOCK, 0): 1, ("raw", 1): 1, (CLOCK, 1): 1}, {})
    kept.process(
        [clock(NEXT_MORNING, partition=0), clock(NEXT_MORNING, partition=1)], detected_at=NOW
    )

    kept.restart(owned={0})
    kept.clocks.start_batch({("raw", 0): 1, (CLOCK, 0): 1}, {(CLOCK, 0): 1})
    assert kept.process(raw([payment(SCHOOL, 9, 5_000)]), detected_at=NOW).forwards == [
        Tick(NEXT_MORNING, 0, 1_725_000_100.0)
    ]

    taken_over = school_detector(store)
    taken_over.restart(owned={1})
    taken_over.clocks.start_batch({("raw", 1): 1, (CLOCK, 1): 1}, {(CLOCK, 1): 1})
    moved = taken_over.process(raw([payment(SCHOOL, 9, 5_000)], partition=1), detected_at=NOW)
    assert moved.forwards == [Tick(NEXT_MORNING, 1, 1_725_000_100.0)]


def test_a_partition_taken_over_passes_its_held_declaration_on_in_an_empty_batch() -> None:
    """Its previous owner read the clock record, so the new owner may have nothing to read: the
    runner then runs an empty batch, and the declaration must not wait for the next event."""
    store = InMemoryStateStore()
    previous = school_detector(store)
    previous.clocks.start_batch({("raw", 1): 1, (CLOCK, 1): 1}, {})
    assert (
        previous.process([clock(NEXT_MORNING, partition=1)], detected_at=NOW).forwards == []
    )  # raw 1 unread

    taken_over = school_detector(store)
    taken_over.restart(owned={1})
    assert taken_over.reads_declarations([])
    taken_over.clocks.start_batch({("raw", 1): 1, (CLOCK, 1): 1}, {("raw", 1): 1, (CLOCK, 1): 1})

    assert taken_over.process([], detected_at=NOW).forwards == [
        Tick(NEXT_MORNING, 1, 1_725_000_100.0)
    ]


def global_day_rule() -> StatefulRule:
    """Rule TB as a global rule: one window per day for the whole district."""
    day_rule = RULES[1]
    return dataclasses.replace(
        day_rule,
        meta=dataclasses.replace(day_rule.meta, id="TGB", global_state=True),
        state_keys=lambda event, params: [
            global_key("day", local_date(event_time(event)).isoformat())
        ],
    )


def test_the_global_rules_move_once_every_clock_partition_passed_the_declaration_on() -> None:
    rules = build_rule_set(
        (global_day_rule(),), {"version": "test.1", "allowed_lateness_minutes": 60}
    )
    detector = GlobalDetector(rules, InMemoryStateStore(), on_rule_error=pytest.fail, partitions=2)
    key = global_key("day", local_date(BASE).isoformat())
    forwards = [Forward(key, "TGB", event, None) for event in day_zero_meals()]
    detector.process(raw_records(bundles(forwards, OUTPUTS)), detected_at=NOW)

    one = detector.process(
        raw_records(bundles([Tick(NEXT_MORNING, 0, None)], OUTPUTS)), detected_at=NOW
    )
    assert one.alerts == []
    assert detector.watermark == BASE + timedelta(minutes=3) - timedelta(hours=1)
    both = detector.process(
        raw_records(bundles([Tick(NEXT_MORNING + timedelta(days=9), 1, None)], OUTPUTS)),
        detected_at=NOW,
    )
    assert [raised.alert.rule_id for raised in both.alerts] == ["TGB"]
    assert detector.watermark == NEXT_MORNING - timedelta(
        hours=1
    )  # the earlier of the two declarations


def test_the_global_rules_wait_for_the_declarations_in_every_partition_they_own() -> None:
    """A partition still behind holds forwards from before the declarations: reading every clock
    partition's declaration in another partition must not close their windows."""
    rules = build_rule_set(
        (global_day_rule(),), {"version": "test.1", "allowed_lateness_minutes": 60}
    )
    detector = GlobalDetector(rules, InMemoryStateStore(), on_rule_error=pytest.fail, partitions=2)
    detector.restart(owned=range(OUTPUTS.partitions))
    key = global_key("day", local_date(BASE).isoformat())
    meals = [Forward(key, "TGB", event, None) for event in day_zero_meals()]
    detector.process(raw_records(bundles(meals[:2], OUTPUTS)), detected_at=NOW)
    behind = partition_for(key, OUTPUTS.partitions)
    records = raw_records(
        bundles([*meals[2:], Tick(NEXT_MORNING, 0, None), Tick(NEXT_MORNING, 1, None)], OUTPUTS)
    )

    ahead = detector.process([r for r in records if r.partition != behind], detected_at=NOW)
    assert ahead.alerts == []
    caught_up = detector.process([r for r in records if r.partition == behind], detected_at=NOW)

    assert [(raised.alert.rule_id, raised.alert.measured_value) for raised in caught_up.alerts] == [
        ("TGB", "4")
    ]


def test_a_restarted_global_worker_still_holds_the_declarations_it_heard() -> None:
    rules = build_rule_set(
        (global_day_rule(),), {"version": "test.1", "allowed_lateness_minutes": 60}
    )
    store = InMemoryStateStore()
    first = GlobalDetector(rules, store, on_rule_error=pytest.fail, partitions=2)
    key = global_key("day", local_date(BASE).isoformat())
    forwards = [Forward(key, "TGB", event, None) for event in day_zero_meals()]
    first.process(
        raw_records(bundles([*forwards, Tick(NEXT_MORNING, 0, None)], OUTPUTS)), detected_at=NOW
    )

    restarted = GlobalDetector(rules, store, on_rule_error=pytest.fail, partitions=2)
    restarted.restart(owned=range(OUTPUTS.partitions))
    both = restarted.process(
        raw_records(bundles([Tick(NEXT_MORNING, 1, None)], OUTPUTS)), detected_at=NOW
    )

    assert [raised.alert.rule_id for raised in both.alerts] == ["TGB"]


def test_replay_reads_declarations_from_the_clock_topic_as_the_worker_does() -> None:
    replay = AllRulesDetector(fixture_rule_set(), on_rule_error=pytest.fail, clock_topic=CLOCK)
    result = replay.process([*raw(day_zero_meals()), clock(NEXT_MORNING)], detected_at=NOW)
    assert [raised.alert.rule_id for raised in result.alerts] == ["TB"]
    assert result.processed_types == [meal(SCHOOL, 0)["type"]] * 4


def test_a_worker_left_with_the_partitions_that_heard_every_declaration_moves_at_once() -> None:
    """Its other partition held it back; once that partition went to another worker, nothing new
    may come (the sources are quiet): the first batch after the rebalance, even empty, moves it."""
    rules = build_rule_set(
        (global_day_rule(),), {"version": "test.1", "allowed_lateness_minutes": 60}
    )
    store = InMemoryStateStore()
    key = global_key("day", local_date(BASE).isoformat())
    carrying = partition_for(key, OUTPUTS.partitions)
    behind = (carrying + 1) % OUTPUTS.partitions
    meals = [Forward(key, "TGB", event, None) for event in day_zero_meals()]
    records = raw_records(
        bundles([*meals, Tick(NEXT_MORNING, 0, None), Tick(NEXT_MORNING, 1, None)], OUTPUTS)
    )
    before = GlobalDetector(rules, store, on_rule_error=pytest.fail, partitions=2)
    before.restart(owned={carrying, behind})
    assert (
        before.process([r for r in records if r.partition == carrying], detected_at=NOW).alerts
        == []
    )

    after = GlobalDetector(rules, store, on_rule_error=pytest.fail, partitions=2)
    after.restart(owned={carrying})
    assert after.reads_declarations([]), "its runner asks the broker for fresh end offsets"
    after.clocks.start_batch({("t.global", carrying): 3}, {("t.global", carrying): 3})
    moved = after.process([], detected_at=NOW)

    assert [raised.alert.rule_id for raised in moved.alerts] == ["TGB"]
    assert after.process([], detected_at=NOW).alerts == []
