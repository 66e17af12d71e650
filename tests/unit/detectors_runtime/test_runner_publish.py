"""The runner's publishing step: alerts that satisfy the contract go to the alerts topic (district-level
ones included, keyed by their district); an alert that breaks it goes to the dead-letter topic."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.detectors.runtime.processor import BatchResult, RaisedAlert
from services.detectors.runtime.runner import BatchRunner, Outputs
from tests.unit.detectors_runtime.fixture_rules import district_level_alert


@dataclass
class RecordingTopic:
    """Stands in for a faust topic: keeps what was sent, acknowledges at once."""

    sent: list[tuple[bytes, dict[str, Any]]] = field(default_factory=list)

    def send_soon(self, *, key: bytes, value: bytes, **_: object) -> asyncio.Future[None]:
        self.sent.append((key, orjson.loads(value)))
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


@dataclass
class InMemoryTable:
    data: dict[str, Any] = field(default_factory=dict)


def runner(outputs: Outputs) -> BatchRunner:
    return BatchRunner(
        app=None,  # type: ignore[arg-type]  # publishing never touches the app
        table=InMemoryTable(),  # type: ignore[arg-type]
        source_topics=["qinglian.raw.procurement"],
        outputs=outputs,
        metrics=None,
        detector_factory=lambda store: None,  # type: ignore[arg-type,return-value]
    )


def recording_outputs() -> Outputs:
    return Outputs(RecordingTopic(), RecordingTopic(), RecordingTopic(), partitions=6)  # type: ignore[arg-type]


async def test_a_district_level_alert_is_published_to_the_alerts_topic_keyed_by_its_district() -> None:
    outputs = recording_outputs()
    alert = district_level_alert()
    await runner(outputs)._publish(BatchResult(alerts=[RaisedAlert(alert, None)]))
    [(key, event)] = outputs.alerts.sent
    assert key == b"500102" and event["id"] == alert.alert_id and "schoolid" not in event
    assert outputs.deadletter.sent == []


async def test_an_alert_with_neither_school_nor_district_is_dead_lettered() -> None:
    outputs = recording_outputs()
    alert = district_level_alert(district=None)
    await runner(outputs)._publish(BatchResult(alerts=[RaisedAlert(alert, None)]))
    assert outputs.alerts.sent == []
    [(_, letter)] = outputs.deadletter.sent
    assert (letter["event_id"], letter["school_id"]) == (alert.alert_id, None)
    assert {"path": "schoolid", "rule": "required"} in [
        {"path": reason["path"], "rule": reason["rule"]} for reason in letter["reasons"]
    ]
