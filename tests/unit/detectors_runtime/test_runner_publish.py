"""What a batch publishes: alerts that satisfy the contract go to the alerts topic (district-level
ones included, keyed by their district); an alert that breaks it goes to the dead-letter topic;
changed state becomes one changelog record per key, in its key's partition."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.detectors.runtime.messages import Forward, read_forwarded
from services.detectors.runtime.partitioning import partition_for
from services.detectors.runtime.processor import BatchResult, RaisedAlert
from services.detectors.runtime.records import Record
from services.detectors.runtime.runner import (
    MAX_BUNDLE_BYTES,
    Outputs,
    bundles,
    changelog_records,
    publication,
)
from tests.unit.detectors_runtime.fixture_rules import district_level_alert, registration

OUTPUTS = Outputs(
    alerts="t.alerts", deadletter="t.deadletter", repartitioned="t.global", partitions=6
)
AT = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_district_level_alert_is_published_to_the_alerts_topic_keyed_by_its_district() -> None:
    alert = district_level_alert()
    planned = publication(BatchResult(alerts=[RaisedAlert(alert, None)]), OUTPUTS, at=AT)
    [record] = planned.records
    event = orjson.loads(record.value)
    assert (record.topic, record.key) == ("t.alerts", b"500102")
    assert event["id"] == alert.alert_id and "schoolid" not in event
    assert planned.invalid_alerts == []


def test_an_alert_with_neither_school_nor_district_is_dead_lettered() -> None:
    alert = district_level_alert(district=None)
    planned = publication(BatchResult(alerts=[RaisedAlert(alert, None)]), OUTPUTS, at=AT)
    [record] = planned.records
    letter = orjson.loads(record.value)
    assert record.topic == "t.deadletter"
    assert (letter["event_id"], letter["school_id"]) == (alert.alert_id, None)
    assert {"path": "schoolid", "rule": "required"} in [
        {"path": reason["path"], "rule": reason["rule"]} for reason in letter["reasons"]
    ]
    assert [rule for rule, _ in planned.invalid_alerts] == [alert.rule_id]


def test_changed_state_is_one_changelog_record_per_key_in_the_partition_of_its_school_global_key_or_declaration() -> (
    None
):
    changes = {
        "C_MEALS|S001|meals": b'{"state":{"n":1},"timer":null}',
        "E1|global|registrations#3": b'{"state":{"a":1}}',
        "F7|S002|invoices": None,
        "@clock|@clock/4": b'{"through":"2024-09-04T08:00:00+08:00","offset":0,"timestamp":null}',
    }
    records = changelog_records(changes, "t.school-state-changelog", 6)
    assert [(r.key, r.partition) for r in records] == [
        (b'"C_MEALS|S001|meals"', partition_for("S001", 6)),
        (b'"E1|global|registrations#3"', partition_for("global|registrations", 6)),
        (b'"F7|S002|invoices"', partition_for("S002", 6)),
        (b'"@clock|@clock/4"', 4),  # a clock declaration held for partition 4
    ]
    assert records[0].value == changes["C_MEALS|S001|meals"]  # as the engine encoded it
    assert records[2].value is None  # a tombstone: the key was deleted


def test_forwards_travel_in_one_bundle_per_partition_in_batch_order_with_the_earliest_timestamp() -> (
    None
):
    event = registration("500102000001", 1, "P1")
    forwards = [Forward(f"global|person|P{n}", "TG", event, 100.0 - n) for n in range(40)]
    records = bundles(forwards, OUTPUTS)
    assert len(records) == len({partition_for(f.state_key, 6) for f in forwards})
    for record in records:
        carried = read_forwarded(
            Record(
                record.topic, record.partition or 0, 0, record.timestamp, record.key, record.value
            )
        )
        assert carried == [f for f in forwards if partition_for(f.state_key, 6) == record.partition]
        assert record.topic == "t.global" and record.timestamp == min(f.timestamp for f in carried)


def test_a_bundle_never_grows_past_the_size_limit() -> None:
    event = {**registration("500102000001", 1, "P1"), "padding": "x" * (MAX_BUNDLE_BYTES // 5)}
    forwards = [Forward("global|person|P1", "TG", event, None) for _ in range(12)]
    records = bundles(forwards, OUTPUTS)
    assert len(records) == 3
    assert all(len(r.value) <= MAX_BUNDLE_BYTES for r in records)
    assert sum(len(read_forwarded(Record("t", 0, 0, None, None, r.value))) for r in records) == 12
