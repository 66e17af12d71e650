"""`qinglian evaluate --replay-only` over a simulator-shaped output directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from contracts.pii import pseudonym
from qinglian.cli import app
from services.detectors.core.config import DISTRICTS_DIR
from services.detectors.runtime.evaluate import (
    EvaluationError,
    pseudonymized_subject,
    read_simulation,
    replay_events,
    truth_keys,
)
from services.detectors.runtime.evaluation import alert_key, score
from tests.unit.detectors_runtime.fixture_rules import fixture_rule_set, payment, standard_mix

KEY = b"test-key"


def write_lines(path: Path, documents: list[dict]) -> None:
    path.write_bytes(b"".join(orjson.dumps(document) + b"\n" for document in documents))


def test_replay_of_a_simulation_scores_its_ground_truth(tmp_path: Path) -> None:
    events = standard_mix(schools=6, days=2)
    write_lines(tmp_path / "finance.ndjson", [e for e in events if ".finance." in e["type"]])
    write_lines(
        tmp_path / "canteen.ndjson", [e for e in reversed(events) if ".canteen." in e["type"]]
    )
    write_lines(tmp_path / "enrollment.ndjson", [e for e in events if ".enrollment." in e["type"]])
    truth = [
        {
            "rule_id": "TA",
            "school_id": "500102000000",
            "subject": {"kind": "account", "id": "ACC-500102000000"},
        },
        {
            "rule_id": "TA",
            "school_id": "500102000001",
            "subject": {"kind": "account", "id": "ACC-500102000001"},
        },
        {
            "rule_id": "TB",
            "school_id": "500102000002",
            "subject": {"kind": "school", "id": "500102000002"},
        },
    ]
    write_lines(tmp_path / "ground_truth.jsonl", truth)

    simulation = read_simulation(tmp_path, KEY)
    assert [e["time"] for e in simulation.events] == sorted(e["time"] for e in simulation.events)
    alerts = replay_events(
        fixture_rule_set(), simulation.events, detected_at=datetime.now(UTC)
    ).alerts
    scores = {
        s.rule_id: s
        for s in score((alert_key(a.to_dict()) for a in alerts), truth_keys(simulation.truth))
    }

    assert (
        scores["TA"].true_positives,
        scores["TA"].false_positives,
        scores["TA"].false_negatives,
    ) == (1, 1, 1)
    assert (scores["TB"].true_positives, scores["TB"].false_positives, scores["TB"].recall) == (
        1,
        5,
        1.0,
    )
    assert (scores["TG"].true_positives, scores["TG"].false_positives, scores["TG"].recall) == (
        0,
        1,
        None,
    )


def test_person_subjects_of_the_ground_truth_are_pseudonymized_like_the_events() -> None:
    line = {"rule_id": "E1", "school_id": "1", "subject": {"kind": "student", "id": "G123"}}
    assert pseudonymized_subject(line, KEY)["subject"]["id"] == pseudonym("student_id", "G123", KEY)
    vendor = {"rule_id": "C6", "school_id": "1", "subject": {"kind": "vendor", "id": "V1"}}
    assert pseudonymized_subject(vendor, KEY) == vendor


def test_a_directory_without_ground_truth_is_an_actionable_error(tmp_path: Path) -> None:
    write_lines(tmp_path / "finance.ndjson", [payment("500102000001", 1, 5)])
    with pytest.raises(EvaluationError, match="ground_truth.jsonl"):
        read_simulation(tmp_path, KEY)


def test_the_report_names_the_rules_configured_otherwise_than_the_simulator_assumes(
    tmp_path: Path,
) -> None:
    write_lines(tmp_path / "finance.ndjson", [payment("500102000001", 1, 5)])
    write_lines(tmp_path / "ground_truth.jsonl", [])
    district = DISTRICTS_DIR / "chongqing.yaml"

    shipped = CliRunner().invoke(
        app, ["detectors", "evaluate", "--replay-only", "--simulation", str(tmp_path)]
    )
    overridden = CliRunner().invoke(
        app,
        [
            "detectors",
            "evaluate",
            "--replay-only",
            "--simulation",
            str(tmp_path),
            "--district",
            str(district),
        ],
    )

    assert shipped.exit_code == 0 and "simulator plants its anomalies" not in shipped.output
    assert overridden.exit_code == 0, overridden.output
    assert "simulator plants its anomalies for the shipped rules file" in overridden.output
    assert "  P3: open_tender_threshold_yuan 4000000 (2000000)" in overridden.output
