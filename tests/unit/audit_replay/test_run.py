"""One replay over in-memory sources: the labelled stream through the real engine and rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from qinglian.settings import Settings
from services.detectors.audit_replay.html_report import render_html
from services.detectors.audit_replay.run import plan_request, run_replay
from services.detectors.audit_replay.summary import summary_lines
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import load_rule_set
from services.detectors.core.eventtime import CHINA_TZ
from services.detectors.runtime.processor import AllRulesDetector
from services.detectors.runtime.records import Record
from tests.unit.audit_replay.fakes import FakeSources, RecordingProgress
from tests.unit.audit_replay.labelled_stream import (
    DAYS,
    added_at_five_percent,
    labelled_events,
    labels,
    labels_of,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SETTINGS = Settings(topic_prefix="qinglian")
SEPTEMBER = AuditRange(
    datetime(2026, 9, 1, tzinfo=CHINA_TZ),
    datetime(2026, 9, 11, tzinfo=CHINA_TZ),
    warmup=timedelta(days=31),
)


def live_record(events: list[dict]) -> list[dict]:
    """What a live worker publishes for the events: the engine's alerts, detected when they arrived."""
    records = [
        Record("raw", 0, n, None, e["schoolid"].encode(), orjson.dumps(e))
        for n, e in enumerate(events)
    ]
    detector = AllRulesDetector(load_rule_set(), on_rule_error=pytest.fail)
    return [
        r.alert.to_dict()
        for r in detector.process(records, detected_at=datetime(2026, 9, 12, tzinfo=UTC)).alerts
    ]


def lowered_p4(tmp_path: Path) -> Path:
    override = tmp_path / "candidate.yaml"
    override.write_text(
        'district: "500102"\nrules:\n  P4:\n    parameters:\n      maximum_ratio: "0.05"\n',
        encoding="utf-8",
    )
    return override


def test_replay_of_what_live_recorded_reports_no_difference() -> None:
    events = labelled_events()
    sources = FakeSources(events, live_record(events))
    progress = RecordingProgress()
    report = run_replay(plan_request(SETTINGS, SEPTEMBER), sources, progress=progress, now=NOW)
    assert report.verification.differences == 0
    assert labels_of(report.verification.identical) == labels()
    assert report.stats.records == report.stats.events == len(events)
    assert (
        progress.totals == [len(events)]
        and sum(progress.updates) == len(events)
        and progress.closed
    )


def test_missing_and_extra_alerts_carry_their_evidence() -> None:
    events = labelled_events()
    recorded = live_record(events)
    lost = next(a for a in recorded if a["rule_id"] == "C6")
    invented = {**lost, "alert_id": "f" * 32, "evidence_event_ids": ["inspection-forged"]}
    sources = FakeSources(events, [a for a in recorded if a is not lost] + [invented])
    report = run_replay(
        plan_request(SETTINGS, SEPTEMBER), sources, progress=RecordingProgress(), now=NOW
    )
    document = report.to_json()["verification"]
    assert [a["alert_id"] for a in document["extra"]] == [lost["alert_id"]]
    assert [a["evidence_event_ids"] for a in document["missing"]] == [["inspection-forged"]]
    assert (
        document["extra"][0]["measured_value"] == "1" and document["extra"][0]["threshold"] == "2"
    )


def test_the_read_starts_a_warmup_before_the_range_and_live_alerts_from_its_start() -> None:
    sources = FakeSources([], [])
    audit = AuditRange(
        SEPTEMBER.start, SEPTEMBER.end, warmup=timedelta(days=3), grace=timedelta(hours=1)
    )
    run_replay(
        plan_request(SETTINGS, audit, topics=["canteen"]),
        sources,
        progress=RecordingProgress(),
        now=NOW,
    )
    assert sources.reads == [
        (
            ("qinglian.raw.canteen", "qinglian.clock"),
            audit.start - timedelta(days=3),
            audit.end + timedelta(hours=1),
        )
    ]
    assert sources.live_since == [audit.start]


def test_alerts_outside_the_range_or_the_selection_are_not_compared() -> None:
    events = labelled_events()
    sources = FakeSources(events, [])
    first_days = AuditRange(
        SEPTEMBER.start, datetime(2026, 9, 4, tzinfo=CHINA_TZ), warmup=timedelta(days=31)
    )
    report = run_replay(
        plan_request(SETTINGS, first_days, rules=["C7"], schools=["500102101"]),
        sources,
        progress=RecordingProgress(),
        now=NOW,
    )
    assert labels_of(report.verification.only_candidate) == {
        ("C7", "500102101", "500102101"): 1
    }  # day 3, not day 8
    assert report.scope.rule_ids == {"C7"}


def test_what_if_with_a_lowered_threshold_adds_exactly_the_expected_alerts(tmp_path: Path) -> None:
    events = labelled_events()
    request = plan_request(SETTINGS, SEPTEMBER, candidate_district=lowered_p4(tmp_path))
    report = run_replay(
        request, FakeSources(events, live_record(events)), progress=RecordingProgress(), now=NOW
    )
    assert report.verification.differences == 0
    assert report.what_if is not None and report.candidate is not None
    assert labels_of(report.what_if.only_candidate) == added_at_five_percent()
    assert not report.what_if.only_reference
    assert {c.reference["rule_id"] for c in report.what_if.changed} == {"P4"}
    assert all(
        {"threshold", "measured_value"} <= {d.field for d in c.differences}
        for c in report.what_if.changed
    )
    assert report.candidate.config_hash != report.baseline.config_hash
    assert report.candidate.source == f"rules.toml (内置 / shipped) + {tmp_path / 'candidate.yaml'}"
    assert report.what_if.only_candidate[0]["event_time"].startswith(DAYS[2].isoformat())


def test_the_steps_live_workers_skip_are_skipped_in_replay_too() -> None:
    """A live worker that skipped a quarantined step raised no alert for it: neither does replay."""
    events = labelled_events()
    recorded = live_record(events)
    skipped = next(a for a in recorded if a["rule_id"] == "C6")
    [evidence] = skipped["evidence_event_ids"]
    label = f"C6@{load_rule_set().get('C6').rule.meta.version} event {evidence}"
    sources = FakeSources(events, [a for a in recorded if a is not skipped], quarantined=[label])
    report = run_replay(
        plan_request(SETTINGS, SEPTEMBER), sources, progress=RecordingProgress(), now=NOW
    )
    assert report.verification.differences == 0
    assert report.stats.rule_errors == 1
    assert report.stats.skipped_steps == (label,)
    assert report.to_json()["counts"]["skipped_steps"] == [label]
    assert label in render_html(report)
    assert f"quarantined steps skipped: {label}" in summary_lines(report)[1]
