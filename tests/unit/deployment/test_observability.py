"""Dashboards and Prometheus rules: generated JSON is current, promtool accepts the config and the rule tests pass."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from deploy.grafana import dashboards
from qinglian.settings import project_root

DEPLOY = project_root() / "deploy"


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool not found: ./run installs Debian's prometheus package")
    return subprocess.run(
        [binary, *arguments], capture_output=True, text=True, cwd=DEPLOY, timeout=60, check=False
    )


@pytest.mark.parametrize("name", sorted(dashboards.DASHBOARDS))
def test_committed_dashboards_match_their_code(name: str) -> None:
    committed = (dashboards.OUTPUT / name).read_text()
    assert committed == dashboards.render(dashboards.DASHBOARDS[name]), (
        "run `python -m deploy.grafana.dashboards`"
    )
    assert json.loads(committed)["panels"], name


def test_every_dashboard_query_uses_qinglian_metrics() -> None:
    for board, panel, expr in dashboards.queries():
        assert "qinglian_" in expr or 'job=~"qinglian-' in expr, f"{board} / {panel}: {expr}"


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", "prometheus/rules/qinglian.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", "prometheus/tests/qinglian_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_scrape_config(tmp_path) -> None:
    # The compose file mounts rules under /etc/prometheus; check a copy whose rule path points here.
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    local = tmp_path / "prometheus.yml"
    local.write_text(
        config.replace("/etc/prometheus/rules/", str(DEPLOY / "prometheus" / "rules") + "/")
    )
    result = promtool("check", "config", str(local))
    assert result.returncode == 0, result.stdout + result.stderr
