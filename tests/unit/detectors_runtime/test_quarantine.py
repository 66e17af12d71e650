"""The quarantine as workers follow it: entries from the topic's records, refreshed on a thread."""

from __future__ import annotations

import threading
from typing import Any

from kafka.errors import KafkaConnectionError

from qinglian.settings import Settings
from services.detectors.runtime.quarantine import Quarantine, quarantined
from services.detectors.runtime.records import Record


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


class ScriptedQuarantine(Quarantine):
    """Reads from a script instead of Kafka: each read takes the next answer; an exception is raised."""

    def __init__(self, answers: list[dict[str, Any] | Exception]) -> None:
        super().__init__(Settings())
        self._answers = answers
        self.done = threading.Event()

    def read(self) -> dict[str, dict[str, Any]]:
        answer = self._answers.pop(0) if self._answers else {}
        if isinstance(answer, Exception):
            raise answer
        return answer

    def refresh(self) -> None:
        try:
            super().refresh()
        finally:
            if not self._answers:
                self.done.set()


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
