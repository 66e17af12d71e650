"""Running a benchmark so that its clean-up survives a polite stop.

A benchmark creates topics with a fresh prefix, temporary databases and worker processes,
and removes them in ``finally`` blocks. Python's default for SIGTERM (what ``kill``,
``timeout`` and CI send) ends the process without running them, and the dev broker kept
gigabytes of topics from stopped runs. Here SIGTERM and SIGHUP raise SystemExit instead,
so the clean-up runs; the exit status stays the conventional 128 + signal.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType


def run_benchmark(main: Callable[[], None]) -> None:
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _exit_through_finally)
    main()


def _exit_through_finally(number: int, _frame: FrameType | None) -> None:
    sys.exit(128 + number)
