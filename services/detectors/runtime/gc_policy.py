"""How often CPython's cycle collector runs in a process that holds detector state.

Rule state is a great many small, long-lived dicts (students, pages, windows). With
CPython's default thresholds a full (generation 2) collection walks all of them every
few hundred thousand allocations, and the engine allocates several dicts per event:
measured over 100 schools' replay, the engine ran at 15,300 events/s with the defaults
and 21,400–24,100 with full collections ten times rarer. Young collections are kept as
they are, so short-lived cycles are still freed promptly.
"""

from __future__ import annotations

import gc

FULL_COLLECTION_THRESHOLD = 1000
"""Generation-1 collections between two full ones (CPython's default: 10)."""


def collect_long_lived_state_less_often() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
