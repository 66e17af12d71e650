"""``qinglian replay`` against what a real detector worker recorded on the broker.

The labelled stream is published to fresh raw topics with each event's time as its Kafka time
(a district's stream as it happened), a real ``qinglian detectors worker`` with the shipped rules
processes it, and its alerts on the alerts topic are the live record that replay is checked
against. The worker is stopped before replay runs, so any change on the broker is replay's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from qinglian.settings import Settings
from services.detectors.core.config import DEFAULT_RULES_FILE
from services.detectors.runtime.evaluate import delete_prefix
from tests.integration.audit_replay.live import (
    broker_snapshot,
    processed_by_live_worker,
    replay_app,
)
from tests.unit.audit_replay.labelled_stream import (
    OVER_TEN_PERCENT,
    added_at_five_percent,
    contract_id,
    labelled_events,
    labels,
    labels_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live(kafka_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a district whose stream the live worker has processed to its end."""
    settings = kafka_settings.model_copy(
        update={"topic_prefix": f"qinglian.test-replay-{uuid.uuid4().hex[:8]}"}
    )
    try:
        processed_by_live_worker(
            settings, labelled_events(), labels(), tmp_path_factory.mktemp("live") / "worker.log"
        )
        yield settings
    finally:
        delete_prefix(settings)


@pytest.fixture
def run_replay(live: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``qinglian replay ARGS`` as the CLI runs it; returns the exit code and the JSON report."""
    monkeypatch.setenv("QINGLIAN_TOPIC_PREFIX", live.topic_prefix)
    app = replay_app()

    def invoke(*arguments: str) -> tuple[int, dict[str, Any], str]:
        out = tmp_path / f"report-{uuid.uuid4().hex[:6]}.json"
        result = CliRunner().invoke(
            app, ["replay", *arguments, "--out", str(out)], catch_exceptions=False
        )
        return result.exit_code, orjson.loads(out.read_bytes()), result.output

    return invoke


def test_replay_over_the_range_live_processed_reports_zero_differences(
    run_replay, live: Settings
) -> None:
    before = broker_snapshot(live)
    code, report, output = run_replay("--from", "2026-09-01", "--to", "2026-09-10")
    assert code == 0, output
    verification = report["verification"]
    assert (verification["missing"], verification["extra"], verification["changed"]) == ([], [], [])
    assert verification["identical"] == sum(labels().values())
    assert (
        report["counts"]["live_alerts"]
        == report["counts"]["replayed_alerts"]
        == sum(labels().values())
    )
    assert report["counts"]["records_read"] == len(labelled_events())
    assert report["configs"]["live_matches_baseline"] is True
    assert "一致 / replay matches the live record" in output
    assert (
        broker_snapshot(live) == before
    )  # read-only: no record written, no group joined, no offset committed


def test_what_if_with_a_lowered_threshold_reports_exactly_the_added_alerts(
    run_replay, live: Settings, tmp_path: Path
) -> None:
    shipped = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
    lowered = shipped.replace(
        '[rules.P4.parameters]\nmaximum_ratio = "0.10"',
        '[rules.P4.parameters]\nmaximum_ratio = "0.05"',
    )
    assert lowered != shipped
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(lowered, encoding="utf-8")
    before = broker_snapshot(live)

    code, report, output = run_replay(
        "--from", "2026-09-01", "--to", "2026-09-10", "--rules", str(candidate)
    )

    assert code == 0, output  # the live configuration still matches live
    what_if = report["what_if"]
    assert labels_of(what_if["added"]) == added_at_five_percent()
    assert what_if["removed"] == []
    assert {c["baseline"]["subject"]["id"] for c in what_if["changed"]} == {
        contract_id(s) for s in OVER_TEN_PERCENT
    }
    assert {a["threshold"] for a in what_if["added"]} == {"15000"}
    assert (
        report["configs"]["candidate"]["config_hash"]
        != report["configs"]["baseline"]["config_hash"]
    )
    assert "新增 / added 4" in output
    assert broker_snapshot(live) == before


def test_contracts_signed_before_the_range_need_the_warmup(run_replay) -> None:
    """The P4 contracts are amended +8 % on 3 September and +4 % on 5 September: replaying from the
    4th without a warm-up sees only the second amendment and misses both alerts."""
    code, report, _ = run_replay(
        "--from", "2026-09-04", "--to", "2026-09-10", "--warmup", "0", "--rule", "P4"
    )
    assert code == 1
    assert labels_of(report["verification"]["missing"]) == {
        ("P4", s, contract_id(s)): 1 for s in OVER_TEN_PERCENT
    }
    code, report, _ = run_replay(
        "--from", "2026-09-04", "--to", "2026-09-10", "--warmup", "7d", "--rule", "P4"
    )
    assert code == 0
    assert report["verification"]["identical"] == len(OVER_TEN_PERCENT)


def test_school_and_topic_filters_narrow_the_comparison(run_replay, live: Settings) -> None:
    code, report, _ = run_replay(
        "--from", "2026-09-01", "--to", "2026-09-10", "--topic", "canteen", "--school", "500102101"
    )
    assert code == 0
    assert (
        report["verification"]["identical"]
        == report["counts"]["live_alerts"]
        == labels()["C7", "500102101", "500102101"]
    )
    assert report["filters"]["topics"] == [
        f"{live.topic_prefix}.raw.canteen",
        f"{live.topic_prefix}.clock",
    ]
    assert "P4" not in report["filters"]["rules"]
    assert report["counts"]["records_read"] == sum(
        1 for e in labelled_events() if ".canteen." in e["type"]
    )
