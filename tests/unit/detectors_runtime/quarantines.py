"""Quarantines for unit tests: reads from a script, writes to a dict, no Kafka."""

from __future__ import annotations

import threading
from typing import Any

from qinglian.settings import Settings
from services.detectors.runtime.quarantine import Quarantine


class ScriptedQuarantine(Quarantine):
    """Reads from a script instead of Kafka: each read takes the next answer; an exception is raised."""

    def __init__(self, answers: list[dict[str, Any] | Exception]) -> None:
        self.counts: list[int] = []
        """What ``on_count`` was told, in order."""
        super().__init__(Settings(), on_count=self.counts.append)
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


class WritingQuarantine(ScriptedQuarantine):
    """Writes to a dict instead of Kafka."""

    def __init__(self, answers: list[dict[str, Any] | Exception]) -> None:
        super().__init__(answers)
        self.written: dict[str, bytes | None] = {}

    def _write(self, values: dict[str, bytes | None]) -> None:
        self.written.update(values)
