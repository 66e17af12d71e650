"""The few lines ``qinglian replay`` prints: counts and the verdict, Chinese first."""

from __future__ import annotations

from services.detectors.audit_replay.report import ReplayReport
from services.detectors.core.eventtime import format_time


def summary_lines(report: ReplayReport) -> list[str]:
    audit_range = report.scope.audit_range
    stats = report.stats
    diff = report.verification
    lines = [
        f"区间 / range: {format_time(audit_range.start)} – {format_time(audit_range.end)}",
        (
            f"读取 / read: {stats.records} records in {stats.seconds:.1f} s "
            f"({stats.events_per_second:,.0f} events/s); "
            f"无法使用 / unusable: {stats.rejected}; 规则错误 / rule errors: {stats.rule_errors}"
            + (
                f" (跳过隔离步骤 / quarantined steps skipped: {', '.join(stats.skipped_steps)})"
                if stats.skipped_steps
                else ""
            )
        ),
        f"实时预警 / live alerts: {report.live_alerts}; 回放预警 / replayed alerts: {report.replayed_alerts}",
        (
            f"一致 / identical: {len(diff.identical)}; 缺失 / missing: {len(diff.only_reference)}; "
            f"多出 / extra: {len(diff.only_candidate)}; 变化 / changed: {len(diff.changed)}"
        ),
    ]
    if report.live_matches_baseline is False:
        lines.append(
            "注意 / note: 实时预警来自其他配置 / the live alerts came from another configuration "
            f"({', '.join(sorted(report.live_configs))}); replay ran {report.baseline.config_hash}"
        )
    if report.what_if is not None and report.candidate is not None:
        what_if = report.what_if
        lines.append(
            f"假设分析 / what-if ({report.candidate.config_hash[:12]}): 新增 / added {len(what_if.only_candidate)}; "
            f"移除 / removed {len(what_if.only_reference)}; 变化 / changed {len(what_if.changed)}"
        )
    verdict = (
        "一致 / replay matches the live record"
        if not diff.differences
        else (f"发现差异 / {diff.differences} differences")
    )
    lines.append(verdict)
    return lines
