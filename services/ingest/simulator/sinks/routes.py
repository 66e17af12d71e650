"""What every pull route has in common: the protocol ``PulledSink`` drives, and the checks that make ids knowable.

A route plays one source system for the event types one connector reads: it
takes each event as that system would record it, and publishes (writes a file,
inserts rows, adds API records) on the system's own rhythm. ``take`` returns the
id the connector will give the event it reads back, so the ground truth can name
the events as they are on Kafka.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from typing import Protocol

from services.ingest.connectors.domain.mapping import RecordMapping
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.errors import SinkError

GLOB_CHARACTERS = frozenset("*?[")


class PullRoute(Protocol):
    connector_id: str
    event_types: tuple[str, ...]

    def take(self, simulated: SimulatedEvent) -> str:
        """Record the event as the source system would; the id the connector gives it when it reads it."""

    def advance(self, now: datetime) -> None:
        """The simulated clock reached ``now``: publish what the source system has published by then."""

    def close(self) -> None:
        """Publish everything still held and release what the route opened."""


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def check_key(connector_id: str, where: str, mapping: RecordMapping) -> None:
    """The connector's ids must follow from the event alone: key columns the mapping writes from the event."""
    written = set(mapping.column_rules())
    if not mapping.key or not set(mapping.key) <= written:
        raise SinkError(
            f"无法确定事件标识 / connector '{connector_id}', {where}: without 'key' naming columns the mapping "
            f"reads (now: {list(mapping.key)}), the connector's event ids depend on the file's content or the "
            "database's row numbers; name the record's own key column(s) so ids are stable"
        )


def file_name(pattern: str, stamp: str) -> str:
    """A file name the pattern matches: ``stamp`` in the place of its one '*'."""
    return pattern.replace("*", stamp, 1)


def check_file_pattern(connector_id: str, pattern: str, sample: str) -> None:
    name = file_name(pattern, sample)
    if GLOB_CHARACTERS & set(name) or not fnmatchcase(name, pattern):
        raise SinkError(
            f"无法生成文件名 / connector '{connector_id}': the simulator names files by putting a stamp "
            f"(such as {sample}) in the one '*' of the pattern, which {pattern!r} does not allow"
        )
