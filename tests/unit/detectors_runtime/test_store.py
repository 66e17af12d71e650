"""The batch-buffered state store over a table's data."""

from __future__ import annotations

import tracemalloc

import orjson

from services.detectors.runtime.store import BufferedTableStore


def entry(value: int) -> dict[str, object]:
    return {"state": {"n": value}, "timer": None}


def put(store: BufferedTableStore, rule_id: str, key: str, value: dict[str, object]) -> None:
    store.put(rule_id, key, value, orjson.dumps(value))


def test_reads_see_this_batchs_writes_before_the_table() -> None:
    table = {"TB|s1|a": entry(1), "TB|s1|b": entry(2)}
    store = BufferedTableStore(table, owns=lambda key: True)
    put(store, "TB", "s1|a", entry(10))
    store.delete("TB", "s1|b")
    assert store.get("TB", "s1|a") == entry(10)
    assert store.get("TB", "s1|b") is None
    assert table == {"TB|s1|a": entry(1), "TB|s1|b": entry(2)}, (
        "the table is only written by the runtime"
    )


def test_take_changes_returns_each_changed_key_once_as_json_with_deletions_as_none() -> None:
    store = BufferedTableStore({}, owns=lambda key: True)
    put(store, "TB", "s1|a", entry(1))
    put(store, "TB", "s1|a", entry(2))
    store.delete("TG", "global|p")
    assert store.take_changes() == {
        "TB|s1|a": b'{"state":{"n":2},"timer":null}',
        "TG|global|p": None,
    }
    assert store.take_changes() == {}


def test_items_yield_only_owned_keys_that_are_not_deleted() -> None:
    table = {"TB|s1|a": entry(1), "TB|s2|a": entry(2), "TB|s1|gone": entry(3)}
    store = BufferedTableStore(table, owns=lambda key: key.startswith("s1|"))
    store.delete("TB", "s1|gone")
    put(store, "TG", "s1|new", entry(4))
    assert sorted(store.items()) == [("TB", "s1|a", entry(1)), ("TG", "s1|new", entry(4))]


def test_a_held_write_takes_its_own_size_not_orjsons_buffer() -> None:
    """orjson hands back its working buffer (4 KB) unshrunk; a batch holds thousands of writes."""
    store = BufferedTableStore({}, owns=lambda key: True)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1000):
            put(store, "TB", f"s1|{n}", entry(n))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 300 * 1000, f"{held / 1000:.0f} bytes a write"
