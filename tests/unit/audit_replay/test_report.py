"""The report model: counts, time buckets, the JSON form and its warnings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.detectors.audit_replay.report import ReadStats, build_report
from services.detectors.audit_replay.selection import AuditScope
from services.detectors.audit_replay.summary import summary_lines
from services.detectors.audit_replay.timeline import bucket_counts, time_buckets
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import load_rule_set
from services.detectors.core.eventtime import CHINA_TZ
from tests.unit.audit_replay.alerts import alert

SEPTEMBER = AuditRange(
    datetime(2026, 9, 1, tzinfo=CHINA_TZ),
    datetime(2026, 9, 11, tzinfo=CHINA_TZ),
    warmup=timedelta(days=31),
)
STATS = ReadStats(
    records=1000,
    events=990,
    rejected=10,
    rule_errors=0,
    seconds=2.0,
    live_records=5,
    live_unreadable=1,
)


def report(live: list[dict], replayed: list[dict], candidate: list[dict] | None = None, **options):
    live_rules = load_rule_set()
    return build_report(
        generated_at=datetime(2026, 11, 22, tzinfo=UTC),
        scope=AuditScope(SEPTEMBER, frozenset({"P4", "C7"})),
        topics=("qinglian.raw.procurement",),
        baseline=live_rules,
        baseline_source="rules.toml",
        candidate=live_rules if candidate is not None else None,
        candidate_source="candidate.toml",
        live=live,
        replayed=replayed,
        candidate_alerts=candidate,
        stats=STATS,
        **options,
    )


class TestTimeBuckets:
    @pytest.mark.parametrize(
        ("days", "count", "first_label"),
        [(1, 24, "09-01 00:00"), (10, 10, "09-01"), (120, 18, "2026-09-01"), (730, 24, "2026-09")],
    )
    def test_the_bucket_size_follows_the_range(
        self, days: int, count: int, first_label: str
    ) -> None:
        start = datetime(2026, 9, 1, tzinfo=CHINA_TZ)
        buckets = time_buckets(AuditRange(start, start + timedelta(days=days), warmup=timedelta(0)))
        assert len(buckets) == count
        assert buckets[0].label == first_label
        assert buckets[0].start == start and buckets[-1].end == start + timedelta(days=days)
        assert all(a.end == b.start for a, b in itertools.pairwise(buckets))

    def test_weeks_start_on_monday_after_a_cut_first_week(self) -> None:
        start = datetime(2026, 9, 2, tzinfo=CHINA_TZ)  # a Wednesday
        buckets = time_buckets(AuditRange(start, start + timedelta(days=100), warmup=timedelta(0)))
        assert buckets[1].start == datetime(2026, 9, 7, tzinfo=CHINA_TZ)

    def test_counts_per_day_in_china_time(self) -> None:
        buckets = time_buckets(SEPTEMBER)
        counts = bucket_counts(
            [
                "2026-09-01T00:00:00+08:00",
                "2026-09-01T16:30:00Z",
                "2026-09-10T23:59:00+08:00",
                "2026-09-11T00:00:00+08:00",
            ],
            buckets,
        )
        assert counts == (1, 1, 0, 0, 0, 0, 0, 0, 0, 1)


class TestBuildReport:
    def test_only_alerts_in_scope_are_counted_and_compared(self) -> None:
        inside = alert("a1")
        outside = alert("a2", event_time="2026-09-20T00:00:00+08:00")
        other_rule = alert("a3", rule_id="C1")
        built = report([inside, outside, other_rule], [inside])
        assert (built.live_alerts, built.replayed_alerts, built.verification.differences) == (
            1,
            1,
            0,
        )

    def test_per_rule_series_for_rules_alerted_on_either_side(self) -> None:
        live = [alert("a1", event_time="2026-09-03T10:00:00+08:00")]
        replayed = [*live, alert("a2", rule_id="C7", event_time="2026-09-04T12:00:00+08:00")]
        built = report(live, replayed)
        assert [s.rule_id for s in built.series] == ["C7", "P4"]
        c7 = built.series[0]
        assert c7.title_zh == "用餐无学校负责人陪餐记录"
        assert c7.live == (0,) * 10 and c7.replayed[3] == 1
        assert c7.differing_buckets == (3,)
        assert built.totals.replayed[2:4] == (1, 1)

    def test_a_changed_alert_marks_its_bucket_even_when_the_counts_agree(self) -> None:
        built = report([alert("a1", measured_value="1")], [alert("a1", measured_value="2")])
        assert built.totals.live == built.totals.replayed
        assert built.totals.differing_buckets == built.series[0].differing_buckets == (4,)

    def test_live_alerts_of_another_configuration_are_flagged(self) -> None:
        live_rules = load_rule_set()
        assert (
            report([alert(rules_config_hash=live_rules.config_hash)], []).live_matches_baseline
            is True
        )
        assert report([alert(rules_config_hash="f" * 64)], []).live_matches_baseline is False
        assert report([], []).live_matches_baseline is None

    def test_json_names_missing_extra_and_changed_with_their_evidence(self) -> None:
        live = [alert("gone"), alert("same"), alert("moved", measured_value="1")]
        replayed = [alert("same"), alert("moved", measured_value="2"), alert("new")]
        document = report(live, replayed).to_json()
        verification = document["verification"]
        assert verification["identical"] == 1
        assert verification["identical_alert_ids"] == ["same"]
        assert [a["alert_id"] for a in verification["missing"]] == ["gone"]
        assert [a["alert_id"] for a in verification["extra"]] == ["new"]
        (changed,) = verification["changed"]
        assert changed["differences"] == [{"field": "measured_value", "live": "1", "replayed": "2"}]
        assert changed["live"]["evidence_event_ids"] == ["e1", "e2"]
        assert changed["live"]["threshold"] == "3000000"
        assert document["what_if"] is None
        assert document["counts"]["live_duplicates"] == 0
        assert document["throughput"] == {"seconds": 2.0, "events_per_second": 500.0}
        assert document["range"]["read_from"] == "2026-08-01T00:00:00+08:00"

    def test_json_what_if_names_added_removed_and_changed(self) -> None:
        baseline = [alert("kept"), alert("dropped"), alert("tightened")]
        candidate = [alert("kept"), alert("tightened", threshold="1500000"), alert("added")]
        what_if = report([], baseline, candidate).to_json()["what_if"]
        assert what_if["unchanged"] == 1 and what_if["unchanged_alert_ids"] == ["kept"]
        assert [a["alert_id"] for a in what_if["added"]] == ["added"]
        assert [a["alert_id"] for a in what_if["removed"]] == ["dropped"]
        assert what_if["changed"][0]["differences"] == [
            {"field": "threshold", "baseline": "3000000", "candidate": "1500000"}
        ]

    def test_an_alert_whose_window_starts_before_the_read_is_flagged_partial(self) -> None:
        early = alert(
            "early",
            window={"start": "2026-07-01T00:00:00+08:00", "end": "2026-09-05T00:00:00+08:00"},
        )
        covered = alert(
            "covered",
            window={"start": "2026-08-15T00:00:00+08:00", "end": "2026-09-05T00:00:00+08:00"},
        )
        missing = {
            a["alert_id"]: a["partial_window"]
            for a in report([early, covered], []).to_json()["verification"]["missing"]
        }
        assert missing == {"early": True, "covered": False}


def test_the_printed_summary_gives_counts_the_verdict_and_the_what_if() -> None:
    lines = summary_lines(
        report([alert("a1", rules_config_hash="f" * 64)], [alert("a2")], [alert("a2"), alert("a3")])
    )
    assert lines[-1] == "发现差异 / 2 differences"
    assert "缺失 / missing: 1; 多出 / extra: 1" in lines[3]
    assert any(line.startswith("注意 / note: 实时预警来自其他配置") for line in lines)
    assert any("新增 / added 1; 移除 / removed 0" in line for line in lines)
    assert "(500 events/s)" in lines[1]
