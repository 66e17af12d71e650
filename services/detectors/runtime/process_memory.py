"""How a process that holds detector state uses memory: the cycle collector and malloc arenas.

Rule state is a great many small, long-lived dicts (students, pages, windows). With
CPython's default thresholds a full (generation 2) collection walks all of them every
few hundred thousand allocations, and the engine allocates several dicts per event; the
more state (and anything else) a process holds, the longer each full collection takes.
`bench.engine_throughput` measures it: over 100 schools, 12,765 events/s with the default
thresholds and 14,712 with full collections a hundred times rarer. Young collections are
kept as they are, so short-lived cycles are still freed promptly.

A worker's threads (faust's consumer thread, RocksDB's flushes) each get a glibc malloc
arena of their own by default, up to eight per core, and memory freed in one is not reused
by another: measured on a 100-school backlog, peak RSS 514 MB with the default and 400 MB
with two arenas. Freed batch buffers stay in the heap too unless handed back: the runner
trims it every few seconds (100-school backlog: peak RSS 289 → 266 MB, at the end 296 → 219 MB).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

FULL_COLLECTION_THRESHOLD = 1000
"""Generation-1 collections between two full ones (CPython's default: 10)."""

MALLOC_ARENAS = 2
M_ARENA_MAX = -8
"""glibc's mallopt parameter number for the arena limit (malloc.h)."""


def collect_long_lived_state_less_often() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim); a no-op elsewhere."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


@functools.cache
def _libc_function(name: str):  # -> a ctypes function, or None
    """Looked up once: find_library runs ldconfig."""
    library = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(library), name, None) if library else None


def limit_malloc_arenas() -> None:
    """Call before the process starts threads. A no-op where the C library is not glibc."""
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(M_ARENA_MAX, MALLOC_ARENAS)
