from __future__ import annotations

from typer.testing import CliRunner

from qinglian.cli import app
from services.detectors.core.config import DISTRICTS_DIR
from services.detectors.rules.catalogue import all_rules


def invoke(*args: str):
    return CliRunner().invoke(app, ["rules", *args])


def test_list_shows_every_rule_with_citation_and_parameters():
    result = invoke("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("规则版本 / rules version 2026.11.1")
    listed = [line.split()[0] for line in lines[1:] if line and not line.startswith(" ")]
    assert listed == [rule.meta.id for rule in all_rules()]
    assert 'open_tender_threshold_yuan="2000000"' in result.stdout
    assert "依据 / citation: 《政府采购法实施条例》第二十八条" in result.stdout


def test_list_with_a_district_shows_its_values_and_hash():
    result = invoke("list", "--district", str(DISTRICTS_DIR / "chongqing.yaml"))
    assert "区县 / district chongqing" in result.stdout
    assert 'open_tender_threshold_yuan="4000000"' in result.stdout


def test_show_prints_the_rules_documentation():
    result = invoke("show", "p12")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("P12 v1.0.0 · 支付超过合同金额加已批准补充金额")
    assert "retention_days = 400" in result.stdout
    assert (
        "P12 · 支付超过合同金额 / Payments above the contract value plus approved amendments"
        in result.stdout
    )


def test_unknown_rule_is_a_one_line_error():
    result = invoke("show", "X9")
    assert result.exit_code != 0
    assert "未知规则 / unknown rule 'X9'" in str(result.exception)


def test_defaults_print_the_shipped_rules_file():
    from services.detectors.core.config import DEFAULT_RULES_FILE

    assert invoke("defaults").stdout == DEFAULT_RULES_FILE.read_text(encoding="utf-8")
