"""The thin adapters: files, wall-clock pacing and signed pushes (against httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.domain.signature import authenticate
from services.ingest.domain.sources import SigningKey, SourceRegistry, SourceSystem
from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import ManifestCounter
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.sinks.base import TeeSink, run
from services.ingest.simulator.sinks.files import FileSink
from services.ingest.simulator.sinks.paced import PacedSink
from services.ingest.simulator.sinks.push import PushSink

CHINA = timezone(timedelta(hours=8))
START = datetime(2025, 9, 1, tzinfo=CHINA)
KEY = SigningKey("simulator", b"test-secret")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def event(at: datetime, number: int, domain: str = "canteen") -> SimulatedEvent:
    return SimulatedEvent(
        at,
        {
            "id": f"e-{number}",
            "type": f"cn.edu.qinglian.{domain}.meal_service.v1",
            "time": at.isoformat(),
        },
    )


def truth(at: datetime) -> GroundTruth:
    return GroundTruth(at, "C7", "500102001", "school", "500102001", ("e-1",), "MS-1")


def counter() -> ManifestCounter:
    return ManifestCounter(Scenario(schools=1, days=1), {})


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.truths: list[str] = []
        self.closed = False

    def event(self, simulated: SimulatedEvent) -> None:
        self.events.append(simulated.event["id"])

    def anomaly(self, record: GroundTruth) -> None:
        self.truths.append(record.rule_id)

    def close(self, manifest: Any) -> None:
        self.closed = True


class TestFileSink:
    def test_writes_ndjson_per_domain_the_ground_truth_and_the_manifest(
        self, tmp_path: Path
    ) -> None:
        emissions = [event(START, 1), event(START, 2, "finance"), truth(START)]
        manifest = run(emissions, FileSink(tmp_path), counter())
        assert [
            json.loads(line)["id"]
            for line in (tmp_path / "canteen.ndjson").read_text().splitlines()
        ] == ["e-1"]
        assert [
            json.loads(line)["id"]
            for line in (tmp_path / "finance.ndjson").read_text().splitlines()
        ] == ["e-2"]
        assert json.loads((tmp_path / "ground_truth.jsonl").read_text())["subject"] == {
            "kind": "school",
            "id": "500102001",
        }
        assert json.loads((tmp_path / "manifest.json").read_text())["anomalies_by_rule"] == {
            "C7": 1
        }
        assert manifest.events == 2

    def test_a_folder_that_cannot_be_created_is_a_sink_error(self, tmp_path: Path) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(SinkError, match="cannot write"):
            FileSink(blocker / "out")


class TestPacedSink:
    def test_one_simulated_day_takes_the_configured_seconds(self) -> None:
        clock = [100.0]
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            clock[0] += seconds

        inner = RecordingSink()
        paced = PacedSink(
            inner,
            seconds_per_day=24.0,
            scenario_start=START,
            monotonic=lambda: clock[0],
            sleep=sleep,
        )
        for number, at in enumerate(
            [
                START - timedelta(days=30),
                START,
                START + timedelta(hours=1),
                START + timedelta(hours=3),
            ]
        ):
            paced.event(event(at, number))
        assert sleeps == pytest.approx(
            [1.0, 2.0]
        )  # one simulated hour is one second; the lead-in is not paced
        assert inner.events == ["e-0", "e-1", "e-2", "e-3"]


class TestTeeSink:
    def test_every_sink_gets_everything(self) -> None:
        first, second = RecordingSink(), RecordingSink()
        run([event(START, 1), truth(START)], TeeSink(first, second), counter())
        assert first.events == second.events == ["e-1"] and first.truths == second.truths == ["C7"]
        assert first.closed and second.closed


class FakePushApi:
    """The push API's contract: signed requests, per-event results; optionally unavailable at first."""

    def __init__(self, *, unavailable: int = 0, reject: bool = False) -> None:
        self.batches: list[list[str]] = []
        self._unavailable = unavailable
        self._reject = reject
        self._sources = SourceRegistry.of(
            [SourceSystem("district-simulator", (KEY,), ("*",), ("*",))]
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        authenticate(
            self._sources, request.headers, request.content, now=NOW, window=timedelta(seconds=300)
        )
        assert request.headers["Content-Type"] == "application/x-ndjson"
        if self._unavailable:
            self._unavailable -= 1
            return httpx.Response(
                503, headers={"Retry-After": "7"}, json={"error": "storage_unavailable"}
            )
        ids = [json.loads(line)["id"] for line in request.content.splitlines()]
        self.batches.append(ids)
        status = "rejected" if self._reject else "accepted"
        results = [
            {
                "index": n,
                "id": i,
                "status": status,
                "reasons": [{"path": "data.x", "rule": "required", "message": "missing"}],
            }
            for n, i in enumerate(ids)
        ]
        return httpx.Response(
            422 if self._reject else 200, json={"summary": {status: len(ids)}, "results": results}
        )


def push_sink(api: FakePushApi, sleeps: list[float], batch_size: int = 2) -> PushSink:
    client = httpx.Client(base_url="http://ingest.test", transport=httpx.MockTransport(api))
    return PushSink(
        client,
        source_id="district-simulator",
        key=KEY,
        clock=lambda: NOW,
        sleep=sleeps.append,
        batch_size=batch_size,
    )


class TestPushSink:
    def test_events_go_in_signed_batches_and_the_ground_truth_stays_home(self) -> None:
        api, sleeps = FakePushApi(), []
        sink = push_sink(api, sleeps)
        run([event(START, n) for n in range(5)] + [truth(START)], sink, counter())
        assert api.batches == [["e-0", "e-1"], ["e-2", "e-3"], ["e-4"]]
        assert sink.accepted == 5 and not sleeps

    def test_an_unavailable_api_is_retried_after_its_retry_after(self) -> None:
        api, sleeps = FakePushApi(unavailable=2), []
        run([event(START, 1)], push_sink(api, sleeps), counter())
        assert sleeps == [7.0, 7.0] and api.batches == [["e-1"]]

    def test_a_rejected_event_stops_the_run_with_the_reason(self) -> None:
        with pytest.raises(SinkError, match="data.x"):
            run([event(START, 1)], push_sink(FakePushApi(reject=True), []), counter())
