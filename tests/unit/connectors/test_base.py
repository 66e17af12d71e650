"""The connector lifecycle: setup with callbacks, start/stop, failures retried, bugs not swallowed."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from services.ingest.connectors.domain.checkpoint import Batch
from services.ingest.connectors.domain.spec import Common
from services.ingest.connectors.errors import SourceUnavailable
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.connectors.sources.base import BaseConnector
from tests.unit.connectors.support import MEAL_FEE_TYPE

COMMON = Common("fake", "fake", "/fake", ("*",), 0.001, 10, ZoneInfo("Asia/Shanghai"))


class FlakySource(BaseConnector):
    """Refuses the first ``down_for`` connections; records what happens to it."""

    def __init__(self, down_for: int, **callbacks: object) -> None:
        super().__init__(COMMON, (MEAL_FEE_TYPE,), **callbacks)  # type: ignore[arg-type]
        self.down_for = down_for
        self.calls: list[str] = []

    def connect(self) -> None:
        self.calls.append("connect")
        if self.down_for > 0:
            self.down_for -= 1
            raise SourceUnavailable("source down")

    def close(self) -> None:
        self.calls.append("close")

    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]:
        return iter(())


def test_setup_reports_success_and_failure_through_the_callbacks() -> None:
    events: list[str] = []
    source = FlakySource(
        1,
        on_connect_success=lambda: events.append("up"),
        on_connect_failure=lambda e: events.append(str(e)),
    )
    with pytest.raises(SourceUnavailable):
        source.setup()
    source.setup()
    assert events == ["source down", "up"]
    assert source.source_system.source_id == "fake" and source.source_system.may_publish_type(
        MEAL_FEE_TYPE
    )


def test_start_reconnects_after_failures_and_stops_when_asked() -> None:
    source = FlakySource(2)
    passes: list[int] = []

    def run_pass(connector: BaseConnector) -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise SourceUnavailable("lost the connection mid-pass")
        connector.stop()

    source.start(run_pass)
    assert passes == [0, 1]
    assert source.calls == ["connect", "connect", "connect", "close", "connect", "close"]


def test_a_bug_in_a_pass_is_not_swallowed() -> None:
    source = FlakySource(0)

    def run_pass(connector: BaseConnector) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        source.start(run_pass)
    assert source.calls == ["connect", "close"], "the connection is released all the same"
