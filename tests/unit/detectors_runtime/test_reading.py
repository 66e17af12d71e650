"""Reading a range: records merged by Kafka time, and a read that gets nothing stops with a reason."""

from __future__ import annotations

from collections import namedtuple

import pytest
from kafka import TopicPartition

from services.detectors.runtime.reading import ReadStalledError, _merged

Message = namedtuple("Message", "offset timestamp key value")
FINANCE, CANTEEN = TopicPartition("raw.finance", 3), TopicPartition("raw.canteen", 0)


class ScriptedReader:
    """A consumer whose polls answer from a script, then nothing."""

    def __init__(self, *polls: dict[TopicPartition, list[Message]]) -> None:
        self._polls = list(polls)

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Message]]:
        return self._polls.pop(0) if self._polls else {}

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass


def test_records_of_every_partition_come_merged_by_kafka_time() -> None:
    reader = ScriptedReader(
        {FINANCE: [Message(0, 1000, b"s", b"a"), Message(1, 3000, b"s", b"c")]},
        {CANTEEN: [Message(0, 2000, b"s", b"b")]},
    )
    records = _merged(reader, {FINANCE: 2, CANTEEN: 1}, idle_seconds=5.0)  # type: ignore[arg-type]
    assert [record.value for record in records] == [b"a", b"b", b"c"]


def test_a_read_that_gets_nothing_with_records_left_stops_naming_them() -> None:
    reader = ScriptedReader({FINANCE: [Message(0, 1000, b"s", b"a")]})
    records = _merged(reader, {FINANCE: 1, CANTEEN: 4}, idle_seconds=0.1)  # type: ignore[arg-type]
    with pytest.raises(
        ReadStalledError, match=r"read nothing for 0 s with records left in raw.canteen/0:"
    ):
        list(records)
