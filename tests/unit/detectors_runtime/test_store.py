"""The batch-buffered state store over a table's data."""

from __future__ import annotations

from services.detectors.runtime.store import BufferedTableStore


def entry(value: int) -> dict[str, object]:
    return {"state": {"n": value}, "timer": None}


def test_reads_see_this_batchs_writes_before_the_table() -> None:
    table = {"TB|s1|a": entry(1), "TB|s1|b": entry(2)}
    store = BufferedTableStore(table, owns=lambda key: True)
    store.put("TB", "s1|a", entry(10))
    store.delete("TB", "s1|b")
    assert store.get("TB", "s1|a") == entry(10)
    assert store.get("TB", "s1|b") is None
    assert table == {"TB|s1|a": entry(1), "TB|s1|b": entry(2)}, "the table is only written by the runtime"


def test_take_changes_returns_each_changed_key_once_with_deletions_as_none() -> None:
    store = BufferedTableStore({}, owns=lambda key: True)
    store.put("TB", "s1|a", entry(1))
    store.put("TB", "s1|a", entry(2))
    store.delete("TG", "global|p")
    assert store.take_changes() == {"TB|s1|a": entry(2), "TG|global|p": None}
    assert store.take_changes() == {}


def test_items_yield_only_owned_keys_that_are_not_deleted() -> None:
    table = {"TB|s1|a": entry(1), "TB|s2|a": entry(2), "TB|s1|gone": entry(3)}
    store = BufferedTableStore(table, owns=lambda key: key.startswith("s1|"))
    store.delete("TB", "s1|gone")
    store.put("TG", "s1|new", entry(4))
    assert sorted(store.items()) == [("TB", "s1|a", entry(1)), ("TG", "s1|new", entry(4))]
