"""The quarantine as workers follow it: entries from the topic's records, refreshed on a thread."""

from __future__ import annotations

from typing import Any

import orjson
from kafka.errors import KafkaConnectionError

from services.detectors.core.engine import RuleStep
from services.detectors.runtime.quarantine import HungStep, quarantined
from services.detectors.runtime.records import Record
from tests.unit.detectors_runtime.quarantines import ScriptedQuarantine, WritingQuarantine


def record(label: str, value: bytes | None) -> Record:
    return Record("qinglian.detectors.quarantine", 0, 0, None, label.encode(), value)


def test_the_latest_record_of_a_step_wins_and_a_tombstone_lifts_it() -> None:
    entries = quarantined(
        [
            record("F6@1.2.0 event ev-41", b'{"ran_seconds": 300.0}'),
            record("E2@1.1.0 event ev-7", b'{"ran_seconds": 301.0}'),
            record("F6@1.2.0 event ev-41", b'{"ran_seconds": 612.0}'),
            record("E2@1.1.0 event ev-7", None),
        ]
    )
    assert entries == {"F6@1.2.0 event ev-41": {"ran_seconds": 612.0}}


def test_a_followed_quarantine_changes_its_labels_in_place_and_outlives_a_failed_read() -> None:
    quarantine = ScriptedQuarantine(
        [
            {"F6@1.2.0 event ev-41": {}},
            KafkaConnectionError("the broker is unreachable"),
            {"E2@1.1.0 event ev-7": {}},
        ]
    )
    labels = quarantine.labels  # what the engines hold
    quarantine.follow(0.01)
    assert quarantine.done.wait(10)
    assert labels == {"E2@1.1.0 event ev-7"}


def test_a_recorded_step_is_skipped_at_once_and_a_read_begun_before_does_not_lift_it() -> None:
    quarantine = WritingQuarantine([{}, {}])
    labels = quarantine.labels  # what the engines hold
    hung = HungStep(RuleStep("TH", "1.0.0", "ev-1"), 300.0, "raw.finance/0 offsets 4–4")
    read_from_the_topic = quarantine.read

    def read_as_the_step_is_recorded() -> dict[str, dict[str, Any]]:
        answer = read_from_the_topic()
        quarantine.record([hung])
        return answer

    quarantine.read = read_as_the_step_is_recorded  # type: ignore[method-assign]
    quarantine.refresh()
    assert labels == {"TH@1.0.0 event ev-1"}
    assert orjson.loads(quarantine.written["TH@1.0.0 event ev-1"] or b"")["ran_seconds"] == 300.0
    quarantine.read = read_from_the_topic  # type: ignore[method-assign]
    quarantine.refresh()  # read after the record, and it is not there: released meanwhile
    assert labels == set()
    assert quarantine.counts == [1, 1, 0]  # the record, the read begun before it, the release
