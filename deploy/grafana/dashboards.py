"""Grafana dashboards as code: `python -m deploy.grafana.dashboards` writes deploy/grafana/dashboards/*.json.

Every panel is a PromQL query over metrics that Qinglian exports itself; the
dashboard test runs each query against a real Prometheus scraping the running
services, so a renamed metric breaks the build instead of a dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"


def _panel(panel: Panel, panel_id: int) -> dict:
    width = 12 if panel.kind == "timeseries" else 6
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {
            "h": 8,
            "w": width,
            "x": (panel_id - 1) * width % 24,
            "y": (panel_id - 1) // (24 // width) * 8,
        },
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "expr": expr,
                "legendFormat": legend,
                "datasource": DATASOURCE,
            }
            for index, (expr, legend) in enumerate(panel.queries)
        ],
    }


def dashboard(uid: str, title: str, panels: list[Panel]) -> dict:
    return {
        "uid": uid,
        "title": title,
        "tags": ["qinglian"],
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": [_panel(panel, index) for index, panel in enumerate(panels, start=1)],
    }


PIPELINE = dashboard(
    "qinglian-pipeline",
    "清廉 · 流水线总览 / Pipeline overview",
    [
        Panel(
            "接入事件 / Events in by source and type",
            (
                (
                    "sum by (source, type) (rate(qinglian_ingest_events_received_total[5m]))",
                    "{{source}} {{type}}",
                ),
            ),
            unit="ops",
        ),
        Panel(
            "接入结果 / Accepted, duplicate, rejected",
            (("sum by (result) (rate(qinglian_ingest_events_total[5m]))", "{{result}}"),),
            unit="ops",
        ),
        Panel(
            "死信 / Dead letters by stage and reason",
            (
                (
                    "sum by (stage, reason) (increase(qinglian_ingest_deadletters_total[1h]))",
                    "{{stage}} {{reason}}",
                ),
            ),
        ),
        Panel(
            "推送延迟 / Push API latency p50/p99",
            (
                (
                    "histogram_quantile(0.5, sum by (le) (rate(qinglian_ingest_push_request_duration_seconds_bucket[5m])))",
                    "p50",
                ),
                (
                    "histogram_quantile(0.99, sum by (le) (rate(qinglian_ingest_push_request_duration_seconds_bucket[5m])))",
                    "p99",
                ),
            ),
            unit="s",
        ),
        Panel(
            "拉取延迟 / Connector lag (now − watermark)",
            (("max by (connector) (qinglian_ingest_connector_lag_seconds)", "{{connector}}"),),
            unit="s",
        ),
        Panel(
            "消费积压 / Consumer lag per group and partition",
            (
                (
                    "sum by (group, topic, partition) (qinglian_consumer_lag_messages)",
                    "{{group}} {{topic}}/{{partition}}",
                ),
            ),
        ),
        Panel(
            "检测吞吐 / Detector throughput",
            (("sum by (result) (rate(qinglian_detectors_events_total[5m]))", "{{result}}"),),
            unit="ops",
        ),
        Panel(
            "端到端延迟 / Event-to-alert latency p50/p99",
            (
                (
                    "histogram_quantile(0.5, sum by (le) (rate(qinglian_detectors_event_to_alert_seconds_bucket[5m])))",
                    "p50",
                ),
                (
                    "histogram_quantile(0.99, sum by (le) (rate(qinglian_detectors_event_to_alert_seconds_bucket[5m])))",
                    "p99",
                ),
            ),
            unit="s",
        ),
        Panel(
            "预警 / Alerts by rule and severity",
            (
                (
                    "sum by (rule, severity) (increase(qinglian_detectors_alerts_total[1h]))",
                    "{{rule}} {{severity}}",
                ),
            ),
        ),
        # Far behind with no consumer lag: the sources are quiet; `qinglian detectors clock` closes what is due.
        Panel(
            "事件时间滞后 / Event time behind the wall clock (watermark)",
            (
                (
                    "time() - min by (agent) (qinglian_detectors_watermark_timestamp_seconds)",
                    "{{agent}}",
                ),
            ),
            unit="s",
        ),
    ],
)

CASES = dashboard(
    "qinglian-cases",
    "清廉 · 案件处置 / Case workflow",
    [
        Panel(
            "案件积压 / Backlog by state",
            (("sum by (state) (qinglian_alerting_cases)", "{{state}}"),),
        ),
        Panel(
            "按等级 / Open cases by severity",
            (
                (
                    'sum by (severity) (qinglian_alerting_cases{state!~"closed|dismissed|transferred"})',
                    "{{severity}}",
                ),
            ),
        ),
        Panel(
            "超期 / Overdue cases",
            (("sum(qinglian_alerting_cases_overdue)", "overdue"),),
            kind="stat",
        ),
        Panel(
            "办结时长 / Time to close p50/p90",
            (
                (
                    "histogram_quantile(0.5, sum by (le) (rate(qinglian_alerting_time_to_close_seconds_bucket[1d])))",
                    "p50",
                ),
                (
                    "histogram_quantile(0.9, sum by (le) (rate(qinglian_alerting_time_to_close_seconds_bucket[1d])))",
                    "p90",
                ),
            ),
            unit="s",
        ),
        Panel(
            "通知失败 / Notification failures by channel",
            (
                (
                    'sum by (channel) (increase(qinglian_alerting_notifications_total{result="failed"}[1h]))',
                    "{{channel}}",
                ),
            ),
        ),
        Panel(
            "预警入案 / Alerts consumed",
            (
                (
                    "sum by (result) (rate(qinglian_alerting_alerts_consumed_total[5m]))",
                    "{{result}}",
                ),
            ),
            unit="ops",
        ),
    ],
)

HEALTH = dashboard(
    "qinglian-health",
    "清廉 · 服务健康 / Service health",
    [
        Panel(
            "在线 / Services up", (('up{job=~"qinglian-.*"}', "{{job}} {{instance}}"),), kind="stat"
        ),
        Panel(
            "内存 / Resident memory",
            (('process_resident_memory_bytes{job=~"qinglian-.*"}', "{{job}} {{instance}}"),),
            unit="bytes",
        ),
        Panel(
            "CPU",
            (('rate(process_cpu_seconds_total{job=~"qinglian-.*"}[5m])', "{{job}} {{instance}}"),),
            unit="percentunit",
        ),
        Panel(
            "最后读取 / Seconds since a detector worker last read a record",
            (
                (
                    "time() - max by (instance) (qinglian_detectors_last_event_timestamp_seconds)",
                    "{{instance}}",
                ),
            ),
            unit="s",
        ),
        Panel(
            "检测积压 / Backlog of each detector worker (its partitions' lag)",
            (("max by (instance) (qinglian_detectors_backlog_messages)", "{{instance}}"),),
        ),
        Panel(
            "批次耗时 / Age of each detector agent's batch in progress, 0 between batches (one that never ends: a stuck rule or publish)",
            (
                (
                    (
                        "(time() - qinglian_detectors_batch_started_timestamp_seconds)"
                        " * (qinglian_detectors_batch_started_timestamp_seconds > bool 0)"
                    ),
                    "{{instance}} {{agent}}",
                ),
            ),
            unit="s",
        ),
        Panel(
            "重启 / Detector worker starts in the last hour (a stalled worker exits to be restarted)",
            (
                (
                    'changes(process_start_time_seconds{job=~"qinglian-detectors"}[1h])',
                    "{{instance}}",
                ),
            ),
        ),
        Panel(
            "规则错误 / Rule errors",
            (("sum by (rule) (increase(qinglian_detectors_rule_errors_total[1h]))", "{{rule}}"),),
        ),
        Panel(
            "隔离的规则步骤 / Rule steps quarantined, skipped until released (`qinglian detectors quarantine list`)",
            (("max(qinglian_detectors_quarantined_steps)", "quarantined"),),
        ),
    ],
)

DASHBOARDS = {"pipeline.json": PIPELINE, "cases.json": CASES, "health.json": HEALTH}


def render(board: dict) -> str:
    return json.dumps(board, ensure_ascii=False, indent=2) + "\n"


def queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) for every query: what the dashboard test runs."""
    return [
        (board["title"], panel["title"], target["expr"])
        for board in DASHBOARDS.values()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    for name, board in DASHBOARDS.items():
        (OUTPUT / name).write_text(render(board))


if __name__ == "__main__":
    main()
