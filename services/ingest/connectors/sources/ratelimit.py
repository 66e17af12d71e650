"""A client-side rate limit: requests evenly spaced at most ``per_second`` apart, no bursts.

School systems' APIs often run on one small server; spacing requests is kinder
than a token bucket that fires a burst after every pause.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("a rate limit must be positive")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def acquire(self) -> None:
        """Wait until the next request may go out."""
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval
