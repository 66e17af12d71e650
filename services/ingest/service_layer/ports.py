"""What the use cases need from the outside world; adapters implement these, tests use fakes."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka record to write: a CloudEvent (structured mode) or a plain JSON record."""

    topic: str
    key: str | None
    value: Mapping[str, object]
    cloudevent: bool


class Publisher(Protocol):
    def publish(self, messages: Sequence[Message]) -> list[bool]:
        """Write the messages and wait for the broker; True where the broker acknowledged the write.

        Blocking: call it from a worker thread, never on the event loop.
        """


class Claim(Protocol):
    """A batch's event ids on their way to Kafka: which were stored before, which to keep."""

    def stored_before(self) -> set[str]:
        """The claimed ids that an earlier batch stored; waits for the look-up, may raise
        StorageUnavailable (then nothing may be published)."""

    def keep(self, event_ids: Collection[str]) -> None:
        """Remember ``event_ids`` (claimed ones Kafka acknowledged) as stored; may raise
        StorageUnavailable. Claimed ids not kept are forgotten."""


class DedupStore(Protocol):
    """Event ids (scoped by source) already stored in Kafka."""

    def claim(
        self, source_id: str, event_ids: Collection[str], stored_at: datetime
    ) -> AbstractContextManager[Claim]:
        """Start looking ``event_ids`` up; leaving the block forgets whatever was not kept."""


class DeadLetterReader(Protocol):
    def records(self) -> Iterator[Mapping[str, object]]:
        """Every record of the dead-letter topic, oldest first per partition."""


class Metrics(Protocol):
    """What the use cases report, ``count`` events at a time (a batch reports once per label set);
    services.ingest.adapters.metrics.IngestMetrics implements it."""

    def received(self, source: str, event_type: str | None, count: int = 1) -> None: ...

    def result(self, source: str, event_type: str | None, result: str, count: int = 1) -> None: ...

    def deadlettered(self, stage: str, reason: str, count: int = 1) -> None: ...
