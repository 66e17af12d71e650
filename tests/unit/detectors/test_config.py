from __future__ import annotations

from pathlib import Path

import pytest

from services.detectors.core.config import (
    DEFAULT_LATENESS_MINUTES,
    DEFAULT_RULES_FILE,
    DEFAULT_RULES_VERSION,
    DISTRICTS_DIR,
    build_rule_set,
    load_rule_set,
)
from services.detectors.core.model import Severity
from services.detectors.core.rulesfile import render_defaults
from services.detectors.errors import RulesConfigError, UnknownRuleError
from services.detectors.rules.catalogue import all_rules


def base(**rules) -> dict:
    return {"version": "2026.11.1", "rules": rules}


class TestShippedFiles:
    def test_rules_file_is_the_catalogue_defaults(self):
        """rules.toml is regenerated with `qinglian rules defaults`; this fails when they drift."""
        expected = render_defaults(
            all_rules(),
            version=DEFAULT_RULES_VERSION,
            allowed_lateness_minutes=DEFAULT_LATENESS_MINUTES,
        )
        assert DEFAULT_RULES_FILE.read_text(encoding="utf-8") == expected

    def test_every_rule_is_enabled_with_its_defaults(self):
        rule_set = load_rule_set()
        assert [c.rule_id for c in rule_set.enabled()] == [r.meta.id for r in all_rules()]
        for config in rule_set.rules:
            assert config.params == config.rule.meta.parameters()
            assert config.severity is config.rule.meta.severity

    def test_chongqing_overrides_procurement_thresholds(self):
        national = load_rule_set()
        chongqing = load_rule_set(district_file=DISTRICTS_DIR / "chongqing.yaml")
        assert chongqing.district == "chongqing"
        assert (
            national.get("P3").params.open_tender_threshold_yuan
            < chongqing.get("P3").params.open_tender_threshold_yuan
        )
        assert (
            chongqing.get("P3").params.minimum_purchases
            == national.get("P3").params.minimum_purchases
        )
        assert chongqing.config_hash != national.config_hash


class TestHash:
    def test_same_configuration_same_hash(self):
        assert (
            build_rule_set(all_rules(), base()).config_hash
            == build_rule_set(all_rules(), base()).config_hash
        )

    @pytest.mark.parametrize(
        "change",
        [
            {"rules": {"P3": {"parameters": {"open_tender_threshold_yuan": "2000001"}}}},
            {"rules": {"P3": {"severity": "yellow"}}},
            {"rules": {"C6": {"enabled": False}}},
            {"allowed_lateness_minutes": 61},
            {"version": "2026.11.2"},
        ],
    )
    def test_any_change_changes_the_hash(self, change):
        assert (
            build_rule_set(all_rules(), {**base(), **change}).config_hash
            != build_rule_set(all_rules(), base()).config_hash
        )

    def test_equal_values_written_differently_hash_the_same(self):
        as_string = base(P3={"parameters": {"open_tender_threshold_yuan": "2000000"}})
        as_number = base(P3={"parameters": {"open_tender_threshold_yuan": 2000000}})
        assert (
            build_rule_set(all_rules(), as_string).config_hash
            == build_rule_set(all_rules(), as_number).config_hash
        )


class TestOverrides:
    def test_district_values_merge_over_the_rules_file(self):
        document = base(P3={"severity": "orange", "parameters": {"minimum_purchases": 3}})
        override = {
            "district": "test",
            "rules": {"P3": {"parameters": {"open_tender_threshold_yuan": "1000000"}}},
        }
        p3 = build_rule_set(all_rules(), document, override).get("P3")
        assert p3.severity is Severity.ORANGE
        assert (p3.params.minimum_purchases, str(p3.params.open_tender_threshold_yuan)) == (
            3,
            "1000000",
        )

    def test_unknown_rule_id_is_reported_with_the_known_ones(self):
        with pytest.raises(UnknownRuleError, match="known rules: C1, C2, C3"):
            build_rule_set(all_rules(), base()).get("X1")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"rules": {}}, "'version' is required"),
        (base(X1={}), r"rules\.X1: 未知规则 / unknown rule"),
        (
            base(P3={"parameters": {"threshold": 1}}),
            r"rules\.P3\.parameters\.threshold: 未知参数 / unknown parameter",
        ),
        (
            base(P3={"parameters": {"minimum_purchases": "two"}}),
            r"rules\.P3\.parameters\.minimum_purchases: 'two' 不合法",
        ),
        (
            base(P3={"parameters": {"open_tender_threshold_yuan": "2百万"}}),
            r"rules\.P3\.parameters\.open_tender_threshold_yuan",
        ),
        (
            base(P3={"parameters": {"open_methods": "公开招标"}}),
            r"rules\.P3\.parameters\.open_methods",
        ),
        (
            base(P3={"severity": "purple"}),
            r"rules\.P3\.severity: 'purple' must be one of red, orange, yellow",
        ),
        (base(P3={"enabled": "yes"}), r"rules\.P3\.enabled"),
        (base(P3={"threshold": 1}), r"rules\.P3\.threshold: unknown key"),
        ({**base(), "allowed_lateness_minutes": -5}, "allowed_lateness_minutes"),
        (
            base(F6={"parameters": {"retention_days": -1}}),
            r"rules\.F6\.parameters\.retention_days: -1 不能为负数",
        ),
        (
            base(C_PRICE={"parameters": {"ratio": "-1.3"}}),
            r"rules\.C_PRICE\.parameters\.ratio: '-1.3' 不能为负数",
        ),
    ],
)
def test_configuration_errors_are_one_line_and_name_the_rule_and_parameter(document, message):
    with pytest.raises(RulesConfigError, match=message) as error:
        build_rule_set(all_rules(), document)
    assert "\n" not in str(error.value)


def test_unreadable_or_malformed_files_are_reported(tmp_path: Path):
    with pytest.raises(RulesConfigError, match="cannot read"):
        load_rule_set(tmp_path / "missing.toml")
    broken = tmp_path / "rules.toml"
    broken.write_text("version = \n", encoding="utf-8")
    with pytest.raises(RulesConfigError, match="not valid TOML"):
        load_rule_set(broken)
    district = tmp_path / "d.yaml"
    district.write_text("rules:\n  P3:\n    parameters: {minimum_purchases: 3}\n", encoding="utf-8")
    with pytest.raises(RulesConfigError, match="district override: 'district' is required"):
        load_rule_set(district_file=district)


def test_yaml_rules_files_are_read_too(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        'version: "1"\nrules:\n  P3:\n    parameters:\n      open_tender_threshold_yuan: "3000000"\n',
        encoding="utf-8",
    )
    assert str(load_rule_set(path).get("P3").params.open_tender_threshold_yuan) == "3000000"
