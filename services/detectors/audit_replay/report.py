"""The replay report: plain data built from the alerts of each side, and its JSON form.

Two comparisons, both over the alerts the scope covers:

- verification: what the live detectors recorded on the alerts topic against
  what replay raised with the live configuration. ``missing``: live had it,
  replay did not; ``extra``: replay raised it, live did not; ``changed``: same
  alert, different content.
- what-if (with a candidate configuration): replay under the live configuration
  against replay under the candidate, over the same records. ``added`` and
  ``removed`` are what deploying the candidate would change.

An alert whose window starts before the first record read is flagged
``partial_window``: replay saw only part of that window, so a difference there
may come from the warm-up being too short rather than from the detectors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.detectors.audit_replay.comparison import (
    Alert,
    AlertDiff,
    compare_alerts,
    unique_alerts,
)
from services.detectors.audit_replay.selection import AuditScope
from services.detectors.audit_replay.timeline import Bucket, bucket_counts, time_buckets
from services.detectors.core.config import RuleSet
from services.detectors.core.eventtime import format_time, parse_time

REPORT_FORMAT = "qinglian.replay-report.v1"
EVIDENCE_FIELDS = (
    "alert_id", "rule_id", "rule_version", "severity", "school_id", "subject", "event_time", "window",
    "measured_value", "comparison", "threshold", "evidence_event_ids", "rules_config_hash", "detected_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConfigSummary:
    config_hash: str
    version: str
    district: str | None
    source: str
    """The rules file (and district file) it was loaded from."""

    @classmethod
    def of(cls, rule_set: RuleSet, source: str) -> ConfigSummary:
        return cls(rule_set.config_hash, rule_set.version, rule_set.district, source)

    def to_json(self) -> dict[str, Any]:
        return {
            "config_hash": self.config_hash,
            "version": self.version,
            "district": self.district,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class ReadStats:
    """What the read did: raw records read and used, and how long it took."""

    records: int
    events: int
    rejected: int
    rule_errors: int
    """Rule failures on one event, in the live or the candidate configuration."""
    seconds: float
    live_records: int
    live_unreadable: int
    skipped_steps: tuple[str, ...] = ()
    """Quarantined rule steps the replay skipped, as the live workers do (counted in ``rule_errors``)."""

    @property
    def events_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class RuleSeries:
    rule_id: str
    title_zh: str
    title_en: str
    live: tuple[int, ...]
    replayed: tuple[int, ...]
    candidate: tuple[int, ...] | None
    differing_buckets: tuple[int, ...] = ()
    """Buckets holding an alert that differs between live and replay (missing, extra or changed)."""


@dataclass(frozen=True, slots=True)
class ReplayReport:
    generated_at: datetime
    scope: AuditScope
    topics: tuple[str, ...]
    baseline: ConfigSummary
    candidate: ConfigSummary | None
    live_configs: Mapping[str, int]
    """Configuration hash → how many of the live alerts in scope it produced."""
    stats: ReadStats
    live_alerts: int
    live_duplicates: int
    replayed_alerts: int
    candidate_alerts: int | None
    verification: AlertDiff
    what_if: AlertDiff | None
    buckets: tuple[Bucket, ...]
    totals: RuleSeries
    series: tuple[RuleSeries, ...]
    """One per rule with an alert on any side, in rule order."""

    @property
    def live_matches_baseline(self) -> bool | None:
        """Did the live alerts come from the configuration replay ran? None: no live alerts."""
        if not self.live_configs:
            return None
        return set(self.live_configs) == {self.baseline.config_hash}

    def title(self, rule_id: str) -> tuple[str, str]:
        for item in self.series:
            if item.rule_id == rule_id:
                return item.title_zh, item.title_en
        return rule_id, rule_id

    def partial_window(self, alert: Alert) -> bool:
        window = alert.get("window")
        return bool(window) and parse_time(window["start"]) < self.scope.audit_range.read_start

    def to_json(self) -> dict[str, Any]:
        stats = self.stats
        return {
            "format": REPORT_FORMAT,
            "generated_at": format_time(self.generated_at),
            "range": self.scope.audit_range.to_json(),
            "filters": {
                "topics": list(self.topics),
                "rules": sorted(self.scope.rule_ids),
                "schools": sorted(self.scope.schools),
            },
            "configs": {
                "baseline": self.baseline.to_json(),
                "candidate": self.candidate.to_json() if self.candidate else None,
                "live": [
                    {"config_hash": h, "alerts": n} for h, n in sorted(self.live_configs.items())
                ],
                "live_matches_baseline": self.live_matches_baseline,
            },
            "counts": {
                "records_read": stats.records,
                "events": stats.events,
                "rejected_records": stats.rejected,
                "rule_errors": stats.rule_errors,
                "skipped_steps": list(stats.skipped_steps),
                "live_records_read": stats.live_records,
                "live_unreadable_records": stats.live_unreadable,
                "live_alerts": self.live_alerts,
                "live_duplicates": self.live_duplicates,
                "replayed_alerts": self.replayed_alerts,
                "candidate_alerts": self.candidate_alerts,
            },
            "throughput": {
                "seconds": round(stats.seconds, 3),
                "events_per_second": round(stats.events_per_second, 1),
            },
            "verification": self._diff_json(
                self.verification, "live", "replayed", ("missing", "extra")
            ),
            "what_if": (
                self._diff_json(self.what_if, "baseline", "candidate", ("removed", "added"))
                if self.what_if
                else None
            ),
            "buckets": [
                {"start": format_time(b.start), "end": format_time(b.end), "label": b.label}
                for b in self.buckets
            ],
            "per_rule": [self._series_json(item) for item in (self.totals, *self.series)],
        }

    def evidence(self, alert: Alert) -> dict[str, Any]:
        return {
            **{name: alert.get(name) for name in EVIDENCE_FIELDS},
            "partial_window": self.partial_window(alert),
        }

    def _diff_json(
        self, diff: AlertDiff, left: str, right: str, only: tuple[str, str]
    ) -> dict[str, Any]:
        same = "identical" if left == "live" else "unchanged"
        return {
            same: len(diff.identical),
            f"{same}_alert_ids": [alert["alert_id"] for alert in diff.identical],
            only[0]: [self.evidence(alert) for alert in diff.only_reference],
            only[1]: [self.evidence(alert) for alert in diff.only_candidate],
            "changed": [
                {
                    "alert_id": item.reference["alert_id"],
                    "matched_by": item.matched_by,
                    left: self.evidence(item.reference),
                    right: self.evidence(item.candidate),
                    "differences": [
                        {"field": d.field, left: d.reference, right: d.candidate}
                        for d in item.differences
                    ],
                }
                for item in diff.changed
            ],
        }

    @staticmethod
    def _series_json(item: RuleSeries) -> dict[str, Any]:
        return {
            "rule_id": item.rule_id,
            "title_zh": item.title_zh,
            "title_en": item.title_en,
            "live": list(item.live),
            "replayed": list(item.replayed),
            "candidate": list(item.candidate) if item.candidate is not None else None,
        }


def build_report(
    *,
    generated_at: datetime,
    scope: AuditScope,
    topics: Sequence[str],
    baseline: RuleSet,
    baseline_source: str,
    candidate: RuleSet | None = None,
    candidate_source: str = "",
    live: Iterable[Alert],
    replayed: Iterable[Alert],
    candidate_alerts: Iterable[Alert] | None = None,
    stats: ReadStats,
) -> ReplayReport:
    recorded = unique_alerts(alert for alert in live if scope.covers(alert))
    live_alerts = list(recorded.alerts.values())
    ours = [alert for alert in replayed if scope.covers(alert)]
    theirs = None if candidate_alerts is None else [a for a in candidate_alerts if scope.covers(a)]
    buckets = time_buckets(scope.audit_range)
    verification = compare_alerts(live_alerts, ours)
    differing = [
        *verification.only_reference,
        *verification.only_candidate,
        *(item.reference for item in verification.changed),
        *(item.candidate for item in verification.changed),
    ]

    def series(rule_id: str, title_zh: str, title_en: str) -> RuleSeries:
        def count(alerts: list[Alert]) -> tuple[int, ...]:
            return bucket_counts(
                (a["event_time"] for a in alerts if rule_id in ("*", a["rule_id"])), buckets
            )

        return RuleSeries(
            rule_id,
            title_zh,
            title_en,
            live=count(live_alerts),
            replayed=count(ours),
            candidate=None if theirs is None else count(theirs),
            differing_buckets=tuple(index for index, n in enumerate(count(differing)) if n),
        )

    alerted = {alert["rule_id"] for alert in [*live_alerts, *ours, *(theirs or [])]}
    return ReplayReport(
        generated_at=generated_at,
        scope=scope,
        topics=tuple(topics),
        baseline=ConfigSummary.of(baseline, baseline_source),
        candidate=ConfigSummary.of(candidate, candidate_source) if candidate is not None else None,
        live_configs=dict(Counter(alert["rules_config_hash"] for alert in live_alerts)),
        stats=stats,
        live_alerts=len(live_alerts),
        live_duplicates=recorded.duplicates,
        replayed_alerts=len(ours),
        candidate_alerts=None if theirs is None else len(theirs),
        verification=verification,
        what_if=None if theirs is None else compare_alerts(ours, theirs),
        buckets=buckets,
        totals=series("*", "全部规则", "All rules"),
        series=tuple(
            series(c.rule_id, c.rule.meta.title_zh, c.rule.meta.title_en)
            for c in baseline.rules
            if c.rule_id in alerted
        ),
    )
