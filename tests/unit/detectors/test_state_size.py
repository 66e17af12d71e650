"""Every rule's state stays small on a realistic stream, and does not grow with the district.

The faust runtime writes each state entry as one changelog record, re-sent whole
at every write; Kafka refuses records above 1 MB. Here every rule runs on the
simulator's stream (pseudonymized, as ingest delivers it) for a small and a
three times larger district, and every entry the engine writes is measured.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from services.detectors.core.config import load_rule_set
from services.detectors.core.engine import Engine
from services.detectors.core.state import InMemoryStateStore, StoredState
from services.detectors.runtime.evaluate import simulate_district

SMALL, LARGE = 2, 6
MAX_ENTRY_BYTES = 16 * 1024
"""Far below the engine's 256 KB guard: the demo's 300 schools × 30 days stays under 64 KB."""


class LargestEntries(InMemoryStateStore):
    """Records the largest entry each rule ever wrote (the serialized size, as the changelog sees it)."""

    def __init__(self) -> None:
        super().__init__()
        self.largest: dict[str, tuple[int, str]] = defaultdict(lambda: (0, ""))

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        if len(encoded) > self.largest[rule_id][0]:
            self.largest[rule_id] = (len(encoded), key)
        super().put(rule_id, key, value, encoded)


DETECTED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def district_events(schools: int) -> list[dict[str, Any]]:
    return simulate_district(b"test-key", schools=schools, days=2, seed=1).events


def alert_ids(engine: Engine, events: list[dict[str, Any]]) -> set[str]:
    return {a.alert_id for e in events for a in engine.process(e, detected_at=DETECTED_AT)}


@pytest.fixture(scope="module")
def events() -> dict[int, list[dict[str, Any]]]:
    return {schools: district_events(schools) for schools in (SMALL, LARGE)}


@pytest.fixture(scope="module")
def districts(events) -> dict[int, dict[str, tuple[int, str]]]:
    """The largest entry of each rule, per district size."""
    largest = {}
    for schools, stream in events.items():
        store = LargestEntries()
        engine = Engine(load_rule_set(), store)
        alert_ids(engine, stream)
        engine.flush(detected_at=DETECTED_AT)
        largest[schools] = dict(store.largest)
    return largest


def test_every_entry_is_small(districts):
    too_large = {
        rule_id: entry
        for largest in districts.values()
        for rule_id, entry in largest.items()
        if entry[0] > MAX_ENTRY_BYTES
    }
    assert too_large == {}


def test_district_wide_state_does_not_grow_with_the_schools(districts):
    """Global rules (OCDS populations, the district price median, people and invoices
    across schools) are where an entry would grow with the district."""
    global_rules = {
        rule_id for rule_id, (_, key) in districts[LARGE].items() if key.startswith("global|")
    }
    assert {"R024", "R025", "R038", "R048", "R058", "C_PRICE", "E1"} <= global_rules
    grown = {
        rule_id: (districts[SMALL][rule_id][0], districts[LARGE][rule_id][0])
        for rule_id in global_rules
        if districts[LARGE][rule_id][0] > districts[SMALL][rule_id][0] * 1.25 + 1024
    }
    assert grown == {}


def test_a_restart_from_the_stored_state_gives_the_undisturbed_alerts(events):
    """Pages and their index survive a restart: the state goes through JSON, as through a changelog."""
    stream = events[SMALL]
    undisturbed = Engine(load_rule_set())
    expected = alert_ids(undisturbed, stream) | {
        a.alert_id for a in undisturbed.flush(detected_at=DETECTED_AT)
    }
    middle = len(stream) // 2
    first = Engine(load_rule_set())
    alerts = alert_ids(first, stream[:middle])
    changelog = orjson.loads(orjson.dumps(first.store.snapshot()))
    restarted = Engine(load_rule_set(), InMemoryStateStore(changelog), watermark=first.watermark)
    alerts |= alert_ids(restarted, stream[middle:])
    alerts |= {a.alert_id for a in restarted.flush(detected_at=DETECTED_AT)}
    assert alerts == expected
    assert len(expected) > 100
