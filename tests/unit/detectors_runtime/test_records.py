"""Decoding raw records: what the engine gets, and why a record is dead-lettered."""

from __future__ import annotations

import orjson
import pytest

from services.detectors.runtime.records import Record, UnusableRecord, decode_event
from tests.unit.detectors_runtime.fixture_rules import payment


def record(value: bytes | None, key: bytes | None = b"500102000001") -> Record:
    return Record("qinglian.raw.finance", 2, 41, 1_725_000_000.0, key, value)


def test_a_cloudevent_keyed_by_its_school_decodes_to_the_event() -> None:
    event = payment("500102000001", 1, 500)
    assert decode_event(record(orjson.dumps(event))) == event


@pytest.mark.parametrize(
    ("value", "key", "path", "rule"),
    [
        (None, b"500102000001", "", "tombstone"),
        (b"{not json", b"500102000001", "", "json"),
        (b"[1, 2]", b"500102000001", "", "type"),
        (
            orjson.dumps({**payment("500102000001", 1, 5), "type": ""}),
            b"500102000001",
            "type",
            "required",
        ),
        (
            orjson.dumps({**payment("500102000001", 1, 5), "data": "x"}),
            b"500102000001",
            "data",
            "required",
        ),
        (
            orjson.dumps({**payment("500102000001", 1, 5), "time": "2024-09-02T08:00:00"}),
            b"500102000001",
            "time",
            "format",
        ),
        (
            orjson.dumps({**payment("500102000001", 1, 5), "time": "yesterday"}),
            b"500102000001",
            "time",
            "format",
        ),
        (orjson.dumps(payment("500102000001", 1, 5)), b"500102000002", "schoolid", "partition_key"),
        (orjson.dumps(payment("500102000001", 1, 5)), None, "schoolid", "partition_key"),
    ],
)
def test_unusable_records_say_where_and_why(
    value: bytes | None, key: bytes | None, path: str, rule: str
) -> None:
    with pytest.raises(UnusableRecord) as caught:
        decode_event(record(value, key))
    assert (caught.value.path, caught.value.rule) == (path, rule)
    assert caught.value.message
