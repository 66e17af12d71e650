"""Event time per source partition, so a backlog in one partition never closes another's windows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.detectors.core.alerts import Alert
from services.detectors.core.engine import Engine

Source = tuple[str, int]
"""A source partition: (topic, partition)."""


class SourceClocks:
    """Event-time progress per source partition, and the watermark it allows.

    A worker reads its partitions in chunks, so after a backlog (a restart, a bulk
    load) one partition can be days of event time ahead of another. With one clock
    per engine (the latest event time seen), the faster partition would fire the
    slower ones' timers before their events are read. Here the watermark follows
    the slowest source that still has unread records; a source with unread records
    and no event seen yet holds it back entirely; when every source is read to its
    end, the latest event time seen. The runtime tells the clocks, per batch, the
    end offset (high watermark) of each source it owns, and per record where it is.
    """

    def __init__(self) -> None:
        self._times: dict[Source, datetime] = {}
        self._ends: dict[Source, int | None] = {}
        self._consumed: dict[Source, int] = {}
        self._unread: set[Source] = set()
        self._current: Source | None = None

    def start_batch(
        self, ends: dict[Source, int | None], committed: Mapping[Source, int | None]
    ) -> None:
        """``ends``: each owned source's next offset to be written (None: not known yet), at least as
        far as known before (a consumer's cached end offset may lag one it was told fresh);
        ``committed``: the group's committed offsets (what an earlier owner already read)."""
        self._ends = {source: _later(end, self._ends.get(source)) for source, end in ends.items()}
        self._times = {source: time for source, time in self._times.items() if source in self._ends}
        self._unread = {
            source
            for source, end in self._ends.items()
            if end is None
            or max(self._consumed.get(source, -1) + 1, committed.get(source) or 0) < end
        }

    def at(self, source: Source, offset: int) -> None:
        """The next event comes from ``source`` at ``offset``."""
        self._current = source
        self._consumed[source] = offset
        end = self._ends.get(source)
        if end is not None and offset + 1 >= end:
            self._unread.discard(source)

    def advance(self, moment: datetime) -> datetime | None:
        """The event time the watermark may reach after an event at ``moment``; None: hold."""
        if self._current is not None:
            seen = self._times.get(self._current)
            if seen is None or moment > seen:
                self._times[self._current] = moment
        return self.allowed(moment)

    def allowed(self, default: datetime | None = None) -> datetime | None:
        """The event time the watermark may reach with what has been read so far; None: hold
        (``default`` when every source is read and none has shown an event time)."""
        if not self._unread:
            return max(self._times.values(), default=default)
        held = [self._times.get(source) for source in self._unread]
        return None if any(time is None for time in held) else min(held)  # type: ignore[type-var]


def _later(end: int | None, known: int | None) -> int | None:
    """The further of two end offsets, either of which may be unknown."""
    if end is None or known is None:
        return known if end is None else end
    return max(end, known)


class SourceWatermarkEngine(Engine):
    """An engine whose watermark moves as its ``SourceClocks`` allow."""

    def __init__(self, *args: Any, clocks: SourceClocks, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clocks = clocks

    def advance_watermark(self, moment: datetime, *, detected_at: datetime) -> list[Alert]:
        reached = self._clocks.advance(moment)
        if reached is None:
            return []
        return super().advance_watermark(reached, detected_at=detected_at)

    def catch_up(self, *, detected_at: datetime) -> list[Alert]:
        """Move as far as the clocks allow now, with no event to move it: a batch whose last
        records were refused (dead letters) may have read its sources to their end after all."""
        reached = self._clocks.allowed()
        if reached is None:
            return []
        return super().advance_watermark(reached, detected_at=detected_at)
