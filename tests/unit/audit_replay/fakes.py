"""In-memory replay sources with call recording, and a recording progress display."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import orjson

from services.detectors.audit_replay.run import LiveAlerts
from services.detectors.core.eventtime import parse_time
from services.detectors.runtime.records import Record


class FakeSources:
    """Raw events as records whose Kafka time is their event time, and a list of live alerts."""

    def __init__(
        self,
        events: Sequence[dict[str, Any]],
        live: Sequence[dict[str, Any]],
        quarantined: Sequence[str] = (),
    ) -> None:
        self._quarantined = list(quarantined)
        self._records = [
            Record(
                f"raw.{e['type'].split('.')[3]}",
                0,
                n,
                parse_time(e["time"]).timestamp(),
                e["schoolid"].encode(),
                orjson.dumps(e),
            )
            for n, e in enumerate(events)
        ]
        self._live = list(live)
        self.reads: list[tuple[tuple[str, ...], datetime | None, datetime | None]] = []
        self.live_since: list[datetime] = []

    def records(
        self, topics: Sequence[str], *, start: datetime | None, end: datetime | None
    ) -> Iterator[Record]:
        self.reads.append((tuple(topics), start, end))
        return iter(self._selected(start, end))

    def count(self, topics: Sequence[str], *, start: datetime | None, end: datetime | None) -> int:
        return len(self._selected(start, end))

    def live_alerts(self, *, since: datetime) -> LiveAlerts:
        self.live_since.append(since)
        return LiveAlerts(alerts=list(self._live), records=len(self._live))

    def quarantined(self) -> list[str]:
        return self._quarantined

    def _selected(self, start: datetime | None, end: datetime | None) -> list[Record]:
        return [
            r
            for r in self._records
            if (start is None or r.timestamp >= start.timestamp())
            and (end is None or r.timestamp < end.timestamp())
        ]


@dataclass
class RecordingProgress:
    totals: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    closed: bool = False

    def __call__(self, total: int) -> Self:
        self.totals.append(total)
        return self

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.closed = True

    def update(self, n: int) -> None:
        self.updates.append(n)
