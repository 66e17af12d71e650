"""What the runtime writes: alert CloudEvents that satisfy the contract, dead letters, repartitioned events."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import orjson
import pytest

from contracts.registry import validate
from services.detectors.core.state import InMemoryStateStore
from services.detectors.runtime.messages import (
    Forward,
    alert_event,
    alert_key,
    deadletter_record,
    forward_bundle,
    forwarded_item,
    read_forwarded,
)
from services.detectors.runtime.processor import SchoolDetector
from services.detectors.runtime.records import Record, UnusableRecord
from tests.unit.detectors_runtime.fixture_rules import (
    district_level_alert,
    encoded,
    fixture_rule_set,
    payment,
    registration,
)

NOW = datetime(2024, 9, 10, tzinfo=UTC)


def test_alert_event_is_a_valid_alert_cloudevent_whose_id_is_the_alert_id() -> None:
    event = payment("500102000001", 1, 900_000)
    record = Record("raw", 0, 0, None, b"500102000001", encoded(event))
    errors: list[object] = []
    detector = SchoolDetector(
        fixture_rule_set(), InMemoryStateStore(), on_rule_error=errors.append, clock_topic="t.clock"
    )
    [raised] = detector.process([record], detected_at=NOW).alerts
    document = alert_event(raised.alert)
    validate(document)
    assert document["id"] == document["data"]["alert_id"] == raised.alert.alert_id
    assert document["type"] == "cn.edu.qinglian.alerts.alert.v1"
    assert alert_key(raised.alert) == b"500102000001"


def test_a_district_level_alert_is_a_valid_cloudevent_without_schoolid_keyed_by_its_district() -> (
    None
):
    alert = district_level_alert()
    document = alert_event(alert)
    validate(document)
    assert "schoolid" not in document and document["districtid"] == "500102"
    assert (document["data"]["school_id"], document["data"]["district_id"]) == (None, "500102")
    assert alert_key(alert) == b"500102"


def test_deadletter_record_has_ingests_shape_and_an_id_fixed_by_the_records_position() -> None:
    record = Record(
        "qinglian.raw.finance", 3, 17, None, b"500102000001", encoded(payment("500102000001", 1, 5))
    )
    problem = UnusableRecord("schoolid", "partition_key", "wrong key")
    first = deadletter_record(record, problem, at=NOW)
    again = deadletter_record(record, problem, at=datetime(2025, 1, 1, tzinfo=UTC))
    assert first["id"] == again["id"]
    assert (
        first["record"] == "qinglian.deadletter.v1"
        and first["kind"] == "rejected"
        and first["stage"] == "detect"
    )
    assert (first["event_id"], first["school_id"]) == ("ev-finance-500102000001-1", "500102000001")
    assert first["reasons"] == [
        {"path": "schoolid", "rule": "partition_key", "message": "wrong key"}
    ]
    assert first["origin"] == {"topic": "qinglian.raw.finance", "partition": 3, "offset": 17}


def test_an_undecodable_payload_is_kept_as_text() -> None:
    record = Record("qinglian.raw.finance", 0, 1, None, None, b"\xffnot json")
    letter = deadletter_record(record, UnusableRecord("", "json", "bad"), at=NOW)
    assert letter["payload"] == "\ufffdnot json" and letter["event_id"] is None
    orjson.dumps(letter)


def test_forwarded_events_round_trip_in_bundles_and_malformed_ones_are_unusable() -> None:
    event = registration("500102000001", 1, "P1")
    forwards = [
        Forward("global|person|P1", "TG", event, 1.5),
        Forward("global|person|P2", "TG", event, None),
    ]
    record = Record("g", 0, 0, None, None, forward_bundle([forwarded_item(f) for f in forwards]))
    assert read_forwarded(record) == forwards
    for value in (
        orjson.dumps({"rule_id": "TG", "state_key": "global|person|P1", "event": event}),
        orjson.dumps({"forwards": [{"rule_id": "TG", "event": event}]}),
        orjson.dumps({"forwards": [{"rule_id": "TG", "state_key": "k", "event": {"id": "x"}}]}),
    ):
        with pytest.raises(UnusableRecord):
            read_forwarded(Record("g", 0, 0, None, None, value))


def test_a_rejected_forward_is_dead_lettered_alone_with_its_own_id() -> None:
    event = registration("500102000001", 1, "P1")
    forwards = [
        Forward("global|person|P1", "TG", event, None),
        Forward("global|person|P2", "TX", event, None),
    ]
    record = Record("g", 3, 9, None, None, forward_bundle([forwarded_item(f) for f in forwards]))
    problem = UnusableRecord("rule_id", "rules_config", "not enabled")
    first, second = (deadletter_record(record, problem, at=NOW, item=item) for item in (0, 1))
    assert first["id"] != second["id"]
    assert second["payload"]["rule_id"] == "TX" and second["payload"]["event"] == event
    assert (second["event_id"], second["origin"]) == (
        event["id"],
        {"topic": "g", "partition": 3, "offset": 9, "item": 1},
    )


def test_serialized_records_take_their_own_size_in_memory_not_orjsons_working_buffer() -> None:
    """Measured in a fresh process: 20,000 records of 800 bytes held at once, as a batch's changelog is."""
    program = (
        "from services.detectors.runtime.messages import to_json\n"
        "def rss(): return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) // 1024\n"
        "before = rss()\n"
        "kept = [to_json({'state': 'x' * 800, 'n': n}) for n in range(20_000)]\n"
        "print(rss() - before)\n"
    )
    grown_mb = int(
        subprocess.run(
            [sys.executable, "-c", program], check=True, capture_output=True, text=True
        ).stdout
    )
    assert grown_mb < 40  # ~17 MB of JSON; orjson's own buffers would hold ~160 MB
