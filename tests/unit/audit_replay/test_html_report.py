"""The HTML report: self-contained, Chinese first, differences highlighted, charts inline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from services.detectors.audit_replay.charts import alerts_chart, nice_ceiling, ticks
from services.detectors.audit_replay.html_report import MAX_ROWS, render_html
from services.detectors.audit_replay.report import ReadStats, RuleSeries, build_report
from services.detectors.audit_replay.selection import AuditScope
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import load_rule_set
from services.detectors.core.eventtime import CHINA_TZ
from tests.unit.audit_replay.alerts import alert

SEPTEMBER = AuditRange(
    datetime(2026, 9, 1, tzinfo=CHINA_TZ),
    datetime(2026, 9, 11, tzinfo=CHINA_TZ),
    warmup=timedelta(days=31),
)


def page(live: list[dict], replayed: list[dict], candidate: list[dict] | None = None) -> str:
    rules = load_rule_set()
    return render_html(
        build_report(
            generated_at=datetime(2026, 11, 22, tzinfo=UTC),
            scope=AuditScope(SEPTEMBER, frozenset({"P4", "C7"})),
            topics=("qinglian.raw.procurement", "qinglian.raw.canteen"),
            baseline=rules,
            baseline_source="rules.toml",
            candidate=rules if candidate is not None else None,
            candidate_source="candidate.toml",
            live=live,
            replayed=replayed,
            candidate_alerts=candidate,
            stats=ReadStats(134, 134, 0, 0, 0.5, 9, 0),
        )
    )


def test_a_matching_replay_says_so_first_in_chinese() -> None:
    html = page([alert("a1")], [alert("a1")])
    verdict = html.index("回放与实时检测一致")
    assert verdict < html.index("Replay matches the live detectors")
    assert '<html lang="zh-CN">' in html


def test_the_page_needs_no_network_and_no_javascript() -> None:
    html = page([alert("a1")], [alert("a2")], [alert("a3")])
    assert "<script" not in html.lower()
    assert set(re.findall(r"https?://[^\"' )]+", html)) == {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") == 1 + 1  # the overview and the one alerted rule (P4)


def test_differences_are_listed_with_their_evidence_and_field_changes() -> None:
    live = [
        alert("gone", evidence_event_ids=["amendment-7", "amendment-8"]),
        alert("moved", measured_value="1"),
    ]
    replayed = [alert("moved", measured_value="2"), alert("new")]
    html = page(live, replayed)
    assert "发现 3 处差异" in html
    assert '<tr class="missing">' in html and "amendment-7, amendment-8" in html
    assert '<tr class="extra">' in html
    assert (
        '<code>measured_value</code>: <del class="mono">1</del> → <ins class="mono">2</ins>' in html
    )
    assert "3600000 &gt; 3000000" in html  # measured vs threshold, escaped


def test_what_if_section_appears_only_with_a_candidate() -> None:
    assert "What-if" not in page([], [alert("a1")])
    html = page([], [alert("a1")], [alert("a1"), alert("a2")])
    assert "部署候选配置将新增 <b>1</b> 条" in html
    assert '<tr class="added">' in html


def test_long_tables_are_cut_and_point_to_the_json_report() -> None:
    many = [alert(f"a{n:04d}") for n in range(MAX_ROWS + 5)]
    html = page(many, [])
    assert html.count('<tr class="missing">') == MAX_ROWS
    assert f"仅显示前 {MAX_ROWS} 条，共 {MAX_ROWS + 5} 条" in html


class TestCharts:
    def test_nice_ceilings_and_ticks(self) -> None:
        assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 240)] == [1, 1, 5, 10, 10, 20, 500]
        assert (ticks(1), ticks(5), ticks(20)) == ((0, 1), (0, 5), (0, 10, 20))

    def test_buckets_where_live_and_replay_differ_are_shaded_and_every_bucket_has_a_tooltip(
        self,
    ) -> None:
        series = RuleSeries(
            "P4",
            "标题",
            "title",
            live=(1, 0, 2),
            replayed=(1, 1, 2),
            candidate=(2, 1, 2),
            differing_buckets=(1,),
        )
        svg = alerts_chart(series, ["09-01", "09-02", "09-03"], width=300, height=120)
        assert svg.count('fill="#fde2e2"') == 1
        assert svg.count("<title>") == 3
        assert "09-02 · 实时 live 0 · 回放 replay 1 · 候选 candidate 1" in svg
        assert 'stroke-dasharray="5 3"' in svg
