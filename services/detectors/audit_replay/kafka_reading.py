"""Reading the retained topics for replay: raw records and the alerts the live detectors recorded.

Read-only by construction: every consumer here has no group id, so it joins no
group and commits no offset; partitions are assigned and positioned with
``offsets_for_times``; nothing is produced. The raw read is the runtime's own
``read_range`` (records of every partition merged by Kafka time, as a live worker
meets them).

The alerts topic is read from the range's start to its current end: an alert's
Kafka time is when it was detected, never before its event time, so every alert
whose event time falls in the range is found; the caller keeps those in scope.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from kafka import TopicPartition

from contracts.envelope import ALERT_TYPE
from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import alerts_topic
from services.detectors.audit_replay.errors import ReplayRequestError
from services.detectors.audit_replay.run import LiveAlerts
from services.detectors.runtime.quarantine import Quarantine
from services.detectors.runtime.reading import read_range
from services.detectors.runtime.records import Record


class KafkaSources:
    """The replay's sources on the real broker."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def records(
        self, topics: Sequence[str], *, start: datetime | None, end: datetime | None
    ) -> Iterator[Record]:
        return read_range(self._settings, topics, start=start, end=end)

    def count(self, topics: Sequence[str], *, start: datetime | None, end: datetime | None) -> int:
        """How many records ``records`` will yield (for the progress bar)."""
        reader = broker.consumer(self._settings, group_id=None)
        try:
            partitions = broker.topic_partitions(reader, topics)
            if not partitions:
                raise ReplayRequestError(
                    f"主题不存在 / none of the topics exist: {', '.join(topics)}"
                )
            ends = reader.end_offsets(partitions)
            first = (
                _offsets_at(reader, partitions, start, ends)
                if start
                else reader.beginning_offsets(partitions)
            )
            stop = _offsets_at(reader, partitions, end, ends) if end else ends
            return sum(max(0, stop[tp] - first[tp]) for tp in partitions)
        finally:
            reader.close()

    def quarantined(self) -> Collection[str]:
        return Quarantine(self._settings).read().keys()

    def live_alerts(self, *, since: datetime) -> LiveAlerts:
        """Every alert the live detectors published at or after ``since`` (Kafka time)."""
        result = LiveAlerts()
        for record in read_range(
            self._settings, [alerts_topic(self._settings)], start=since, end=None
        ):
            result.records += 1
            alert = _alert_data(record.value)
            if alert is None:
                result.unreadable += 1
            else:
                result.alerts.append(alert)
        return result


def _alert_data(value: bytes | None) -> dict[str, Any] | None:
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict) or document.get("type") != ALERT_TYPE:
        return None
    data = document.get("data")
    required = ("alert_id", "rule_id", "event_time")
    return (
        data
        if isinstance(data, dict) and all(isinstance(data.get(k), str) for k in required)
        else None
    )


def _offsets_at(
    reader: Any, partitions: list[TopicPartition], moment: datetime, ends: dict[TopicPartition, int]
) -> dict[TopicPartition, int]:
    found = reader.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in partitions})
    return {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}
