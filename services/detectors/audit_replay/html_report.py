"""The replay report as one self-contained HTML page (Jinja2 template, inline CSS and SVG)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.detectors.audit_replay.charts import alerts_chart
from services.detectors.audit_replay.comparison import Alert, AlertDiff, ChangedAlert
from services.detectors.audit_replay.report import ReplayReport
from services.detectors.core.eventtime import CHINA_TZ, parse_time

MAX_ROWS = 200
"""Rows per table; the JSON report has every alert."""
SHOWN_EVIDENCE = 3
SEVERITY = {"red": "红 red", "orange": "橙 orange", "yellow": "黄 yellow"}


def render_html(report: ReplayReport) -> str:
    environment = Environment(
        loader=PackageLoader("services.detectors.audit_replay", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    labels = [bucket.label for bucket in report.buckets]
    return environment.get_template("replay_report.html").render(
        report=report,
        when=local_time,
        duration=duration_text,
        overview=Markup(alerts_chart(report.totals, labels, width=1000, height=230)),
        rule_charts=[
            (series, Markup(alerts_chart(series, labels, width=320, height=118)))
            for series in report.series
        ],
        verification=diff_tables(report, report.verification),
        what_if=diff_tables(report, report.what_if) if report.what_if else None,
        max_rows=MAX_ROWS,
    )


def diff_tables(report: ReplayReport, diff: AlertDiff) -> dict[str, Any]:
    return {
        "only_reference": [alert_row(report, a) for a in diff.only_reference[:MAX_ROWS]],
        "only_candidate": [alert_row(report, a) for a in diff.only_candidate[:MAX_ROWS]],
        "changed": [changed_row(report, item) for item in diff.changed[:MAX_ROWS]],
        "counts": {
            "same": len(diff.identical),
            "only_reference": len(diff.only_reference),
            "only_candidate": len(diff.only_candidate),
            "changed": len(diff.changed),
        },
    }


def alert_row(report: ReplayReport, alert: Alert) -> dict[str, Any]:
    subject = alert.get("subject") or {}
    evidence = list(alert.get("evidence_event_ids") or ())
    more = len(evidence) - SHOWN_EVIDENCE
    return {
        "alert_id": alert["alert_id"],
        "rule_id": alert["rule_id"],
        "title_zh": report.title(alert["rule_id"])[0],
        "severity": alert.get("severity", ""),
        "severity_label": SEVERITY.get(alert.get("severity", ""), alert.get("severity", "")),
        "event_time": local_time(alert["event_time"]),
        "school_id": alert.get("school_id") or "—",
        "subject": f"{subject.get('kind', '?')} · {subject.get('id', '?')}",
        "measure": f"{alert.get('measured_value')} {alert.get('comparison', '')} {alert.get('threshold')}",
        "evidence": evidence[:SHOWN_EVIDENCE],
        "more_evidence": max(0, more),
        "partial_window": report.partial_window(alert),
    }


def changed_row(report: ReplayReport, item: ChangedAlert) -> dict[str, Any]:
    return {
        **alert_row(report, item.reference),
        "matched_by": item.matched_by,
        "differences": [
            {"field": d.field, "before": _shown(d.reference), "after": _shown(d.candidate)}
            for d in item.differences
        ],
    }


def local_time(moment: str | datetime) -> str:
    parsed = parse_time(moment) if isinstance(moment, str) else moment
    return parsed.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def duration_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours and hours % 24 == 0:
        return f"{hours / 24:g} 天 / days"
    return f"{hours:g} 小时 / hours"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
