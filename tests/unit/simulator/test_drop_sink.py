"""The drop route: meal-fee payments become the canteen clerk's daily CSV exports, read back by the real connector parser."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.domain.spec import FolderSpec
from services.ingest.connectors.sources.tabular import TabularFormat
from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.sinks.base import run
from services.ingest.simulator.sinks.pulled import PulledSink, pull_routes
from tests.unit.simulator.conftest import Output
from tests.unit.simulator.test_sinks import START, RecordingSink, counter, event

PROJECT = Path(__file__).resolve().parents[3]
DEPLOYED_CONNECTORS = PROJECT / "deploy" / "ingest" / "connectors.yaml"
MEAL_FEE = "cn.edu.qinglian.canteen.meal_fee_payment.v1"


def connectors_file(
    folder: Path, drop: Path, edit: Callable[[dict[str, Any]], object] = lambda file: None
) -> Path:
    """The deployed canteen drop connector alone, pointed at ``drop``; ``edit`` changes its file entry."""
    document = yaml.safe_load(DEPLOYED_CONNECTORS.read_text(encoding="utf-8"))
    document["connectors"] = [
        entry for entry in document["connectors"] if entry["kind"] == "file_drop"
    ]
    for entry in document["connectors"]:
        entry["folder"] = str(drop)
        entry["files"][0]["district_id"] = {"value": "500102"}
        edit(entry["files"][0])
    path = folder / "connectors.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def parsed_events(spec: FolderSpec, path: Path) -> list[dict[str, Any]]:
    """What the file-drop connector makes of a file, ids included."""
    content = path.read_bytes()
    parser = TabularFormat(spec.common.connector_id, spec.common.event_source, spec.files)
    parsed = parser.parse(path.name, content, hashlib.sha256(content).hexdigest())
    return [item for record in parsed.records for item in record.items]  # type: ignore[misc]


class EvidenceRecordingSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.evidence: list[tuple[str, ...]] = []

    def anomaly(self, record: GroundTruth) -> None:
        super().anomaly(record)
        self.evidence.append(record.evidence_event_ids)


@pytest.fixture
def canteen_drop(tmp_path: Path) -> tuple[FolderSpec, Path]:
    drop = tmp_path / "drop"
    [spec] = load_connectors(connectors_file(tmp_path, drop))
    assert isinstance(spec, FolderSpec)
    return spec, drop


def test_meal_fee_payments_become_one_export_per_school_and_day_the_connector_reads_back_unchanged(
    small_run: Output, canteen_drop: tuple[FolderSpec, Path]
) -> None:
    spec, drop = canteen_drop
    payments = small_run.of_type("canteen.meal_fee_payment")
    assert len(payments) > 100, "the small district bills its families"
    others = small_run.events[:50]
    emissions = sorted(
        (SimulatedEvent(_time(e), e) for e in [*payments, *others]),
        key=lambda simulated: simulated.time,
    )
    rest = RecordingSink()
    run(emissions, PulledSink(rest, pull_routes([spec])), counter())

    assert rest.events == [e["id"] for e in sorted(others, key=_time) if e["type"] != MEAL_FEE]
    days = {(e["schoolid"], e["time"][:10].replace("-", "")) for e in payments}
    assert sorted(path.name for path in drop.glob("*.csv")) == sorted(
        f"meal_fee_{school}_{day}.csv" for school, day in days
    )
    pulled = [event for path in sorted(drop.glob("*.csv")) for event in parsed_events(spec, path)]
    assert sorted(map(_without_id, pulled), key=_subject) == sorted(
        map(_without_id, payments), key=_subject
    )


def test_the_ground_truth_names_the_ids_the_connector_gives_the_exported_events(
    canteen_drop: tuple[FolderSpec, Path], small_run: Output
) -> None:
    spec, drop = canteen_drop
    [payment] = small_run.of_type("canteen.meal_fee_payment")[:1]
    kept = small_run.events[0]
    truth = GroundTruth(
        _time(payment) + timedelta(days=1),
        "C3",
        payment["schoolid"],
        "school",
        payment["schoolid"],
        (kept["id"], payment["id"]),
    )
    rest = EvidenceRecordingSink()
    run(
        [SimulatedEvent(_time(payment), payment), truth],
        PulledSink(rest, pull_routes([spec])),
        counter(),
    )

    [exported] = drop.glob("*.csv")
    [pulled] = parsed_events(spec, exported)
    assert rest.evidence == [(kept["id"], pulled["id"])]
    assert pulled["id"] != payment["id"]


def test_an_export_is_written_once_its_school_day_is_over(
    canteen_drop: tuple[FolderSpec, Path],
) -> None:
    spec, drop = canteen_drop
    sink = PulledSink(RecordingSink(), pull_routes([spec]))
    payment = {
        "id": "MF-1",
        "type": MEAL_FEE,
        "source": "/schools/50010200001/canteen",
        "schoolid": "50010200001",
        "subject": "MF-1",
        "time": START.isoformat(),
        "data": {
            "payment_id": "MF-1",
            "paid_at": START.isoformat(),
            "term": "2025-2026-1",
            "student": {"student_id": "G1", "id_number": "1", "name": "张三"},
            "amount_fen": 100,
            "meal_days": 1,
            "channel": "wechat",
            "receiving_account_type": "canteen_public_account",
        },
    }
    sink.event(SimulatedEvent(START, payment))
    sink.event(event(START + timedelta(hours=5), 2))
    assert not list(drop.glob("*.csv")), "the day is not over"
    sink.event(event(START + timedelta(days=1), 3))
    assert [path.name for path in drop.glob("*.csv")] == ["meal_fee_50010200001_20250901.csv"]


def test_a_file_pattern_without_a_key_is_refused_because_its_ids_would_change_with_the_content(
    tmp_path: Path,
) -> None:
    keyless = connectors_file(tmp_path, tmp_path / "drop", lambda file: file.pop("key"))
    with pytest.raises(SinkError, match="without 'key'"):
        pull_routes(load_connectors(keyless))


def test_a_pattern_the_simulator_cannot_name_files_for_is_refused(tmp_path: Path) -> None:
    unnameable = connectors_file(
        tmp_path, tmp_path / "drop", lambda file: file.update(pattern="meal_fee_??.csv")
    )
    specs = load_connectors(unnameable)
    with pytest.raises(SinkError, match="meal_fee_\\?\\?.csv"):
        pull_routes(specs)


def _time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["time"])


def _without_id(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key != "id"}


def _subject(event: dict[str, Any]) -> str:
    return str(event["subject"])
