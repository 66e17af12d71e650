"""Every dashboard panel and every alerting rule, asked of a real Prometheus scraping the running pipeline.

Grafana cannot be installed here, so this asks Prometheus exactly what Grafana would:
each panel query must parse and return data, and each rule must parse and read
metrics that exist (a healthy pipeline should not fire them, so their own result
may be empty). A renamed metric or label breaks this test instead of a dashboard.
"""

from __future__ import annotations

import subprocess

import pytest

from deploy.grafana import dashboards
from tests.e2e.observability.conftest import Observed
from tests.e2e.observability.prometheus import (
    RULES_FILE,
    alerting_rules,
    binary,
    production_jobs,
    selectors,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def english(title: str) -> str:
    return title.rpartition(" / ")[2]


PANEL_QUERIES = [
    pytest.param(expr, id=f"{english(board)}: {english(panel)} #{number}")
    for number, (board, panel, expr) in enumerate(dashboards.queries(), start=1)
]
RULES = [pytest.param(rule, id=rule["alert"]) for rule in alerting_rules()]


def test_promtool_accepts_the_generated_config_and_its_rules(observed: Observed) -> None:
    checked = subprocess.run(
        [binary("promtool"), "check", "config", str(observed.config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert str(RULES_FILE) in checked.stdout, "the config loads the production rules file"


def test_every_service_is_scraped_under_its_production_job(observed: Observed) -> None:
    up = observed.api.query('up{job=~"qinglian-.*"}').result
    assert {series["metric"]["job"] for series in up} == {
        job["job_name"] for job in production_jobs()
    }
    assert len(up) == observed.targets
    down = [series["metric"]["instance"] for series in up if series["value"][1] != "1"]
    assert not down, f"targets down: {down}; logs in {observed.logs}"


def test_prometheus_evaluates_every_rule_without_error(observed: Observed) -> None:
    loaded = {rule["name"]: rule for rule in observed.api.rules()}
    assert sorted(loaded) == sorted(rule["alert"] for rule in alerting_rules())
    failing = {
        name: rule.get("lastError") for name, rule in loaded.items() if rule["health"] != "ok"
    }
    assert not failing


@pytest.mark.parametrize("expr", PANEL_QUERIES)
def test_dashboard_query_returns_data(observed: Observed, expr: str) -> None:
    answer = observed.api.query(expr)
    assert answer.status == "success", answer.error
    assert answer.result, f"no data for {expr} (logs in {observed.logs})"


@pytest.mark.parametrize("rule", RULES)
def test_alerting_rule_parses_and_reads_live_metrics(observed: Observed, rule: dict) -> None:
    answer = observed.api.query(rule["expr"])
    assert answer.status == "success", answer.error
    read = selectors(rule["expr"])
    assert read, f"the rule reads no Qinglian metric: {rule['expr']}"
    empty = [selector for selector in read if not observed.api.query(selector).result]
    assert not empty, (
        f"{rule['alert']} reads selectors with no data: {empty} (logs in {observed.logs})"
    )
