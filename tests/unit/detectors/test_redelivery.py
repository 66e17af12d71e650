"""A batch processed twice gives the alerts of processing it once.

A worker writes a batch's state to the changelog before faust commits the batch's
offsets, up to ``commit_interval`` later; a worker killed in between leaves state
that already holds the batch, and the worker that takes its partitions over reads
the batch again. Every rule must therefore take an event a second time without
counting it twice. Here every rule runs on the simulator's district, each batch of
events is fed twice in a row, and the alerts must be those of a single pass.
"""

from __future__ import annotations

from typing import Any

from services.detectors.core.config import load_rule_set
from services.detectors.core.engine import Engine
from services.detectors.runtime.evaluate import simulate_district
from services.detectors.testing import DETECTED_AT, JsonRoundTripStore

BATCH = 300
RULES_RAISING = 38
"""Of the 40 rules, those that raise alerts on this district: the comparison covers them."""


def alerts(events: list[dict[str, Any]], *, passes: int) -> dict[str, dict[str, Any]]:
    """The last document raised under each alert id, feeding each batch ``passes`` times in a
    row, each pass after the first to a new engine over the state the first left."""
    rules, store = load_rule_set(), JsonRoundTripStore()
    engine = Engine(rules, store)
    raised = {}
    for start in range(0, len(events), BATCH):
        for passed in range(passes):
            if passed:  # the worker that takes the partitions over: its engine starts afresh
                engine = Engine(rules, store)
            for event in events[start : start + BATCH]:
                raised |= {
                    a.alert_id: a.to_dict() for a in engine.process(event, detected_at=DETECTED_AT)
                }
    return raised | {a.alert_id: a.to_dict() for a in engine.flush(detected_at=DETECTED_AT)}


def test_every_rule_takes_a_redelivered_batch_without_counting_it_twice():
    events = simulate_district(b"test-key", schools=3, days=30, seed=1).events
    once = alerts(events, passes=1)
    assert alerts(events, passes=2) == once
    assert len({a["rule_id"] for a in once.values()}) >= RULES_RAISING
