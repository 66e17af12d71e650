"""validate(): envelope and data, with every violation reported at its precise path."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.errors import ContractError, ContractViolation, UnknownEventType, Violation
from contracts.registry import domain_of, event_types, type_info, validate
from qinglian.errors import QinglianError
from tests.unit.contracts.support import example

INSPECTION = "cn.edu.qinglian.canteen.inbound_inspection.v1"
MEAL_SERVICE = "cn.edu.qinglian.canteen.meal_service.v1"
ALERT = "cn.edu.qinglian.alerts.alert.v1"


def violations_of(event: dict[str, Any]) -> list[Violation]:
    with pytest.raises(ContractViolation) as caught:
        validate(event)
    return caught.value.violations


def rules_at(event: dict[str, Any]) -> set[tuple[str, str]]:
    return {(violation.path, violation.rule) for violation in violations_of(event)}


class TestErrors:
    def test_hierarchy_lets_the_cli_print_one_line(self) -> None:
        assert issubclass(UnknownEventType, ContractViolation)
        assert issubclass(ContractViolation, ContractError)
        assert issubclass(ContractError, QinglianError)

    def test_message_is_chinese_then_english_and_names_the_path(self) -> None:
        event = example(INSPECTION)
        del event["data"]["purchaser"]
        (violation,) = violations_of(event)
        assert violation == Violation(
            "data.purchaser", "required", "缺少必填字段 / missing required field 'purchaser'"
        )


class TestEnvelope:
    @pytest.mark.parametrize(
        ("attribute", "value", "rule"),
        [
            ("specversion", "0.3", "const"),
            ("time", "2024-09-03T06:50:00", "pattern"),  # no offset
            ("time", "2024-09-03 06:50:00+08:00", "pattern"),
            ("schoolid", "5001", "pattern"),
            ("source", "schools 500102001", "pattern"),
            ("datacontenttype", "text/plain", "const"),
            ("type", "canteen.purchase_order", "pattern"),
        ],
    )
    def test_bad_attribute(self, attribute: str, value: str, rule: str) -> None:
        event = example(INSPECTION)
        event[attribute] = value
        assert (attribute, rule) in rules_at(event)

    def test_unknown_extension_attribute_is_rejected(self) -> None:
        event = example(INSPECTION)
        event["tenant"] = "x"
        assert rules_at(event) == {("tenant", "additionalProperties")}

    def test_utc_offset_z_is_accepted(self) -> None:
        event = example(INSPECTION)
        event["time"] = "2024-09-02T22:50:00Z"
        validate(event)

    def test_unknown_type_is_its_own_error(self) -> None:
        event = example(INSPECTION)
        event["type"] = "cn.edu.qinglian.canteen.purchase.v1"
        with pytest.raises(UnknownEventType) as caught:
            validate(event)
        assert caught.value.violations[0].path == "type"

    @pytest.mark.parametrize("domain", ["canteen", "procurement", "enrollment", "finance"])
    def test_a_raw_event_needs_its_school_even_with_a_district(self, domain: str) -> None:
        event_type = next(info.type for info in event_types() if info.domain == domain)
        event = example(event_type)
        del event["schoolid"]
        event["districtid"] = "500102"
        assert violations_of(event) == [
            Violation("schoolid", "required", "缺少必填字段 / missing required field 'schoolid'")
        ]

    def test_a_district_level_alert_has_a_district_and_no_school(self) -> None:
        event = example(ALERT)
        del event["schoolid"]
        event["data"]["school_id"] = None
        validate(event)
        del event["districtid"]
        assert rules_at(event) == {("schoolid", "required")}

    def test_an_alert_school_may_be_left_out_but_not_null(self) -> None:
        event = example(ALERT)
        event["schoolid"] = None
        assert rules_at(event) == {("schoolid", "type")}

    def test_dataschema_must_match_the_type(self) -> None:
        event = example(INSPECTION)
        event["dataschema"] = type_info(MEAL_SERVICE).schema_id
        assert rules_at(event) == {("dataschema", "dataschema")}


class TestData:
    def test_nested_array_path_is_precise(self) -> None:
        event = example(INSPECTION)
        event["data"]["inspectors"][1]["staff_id"] = "not a staff id!"
        assert rules_at(event) == {("data.inspectors[1].staff_id", "pattern")}

    def test_every_violation_is_reported_not_just_the_first(self) -> None:
        event = example(INSPECTION)
        event["data"]["total_amount_fen"] = 1313.5
        event["data"]["result"] = "ok"
        event["data"]["lines"][0]["colour"] = "green"
        del event["data"]["supplier"]["id"]
        assert rules_at(event) == {
            ("data.total_amount_fen", "type"),
            ("data.result", "enum"),
            ("data.lines[0].colour", "additionalProperties"),
            ("data.supplier.id", "required"),
        }

    @pytest.mark.parametrize("amount", [1313.5, "1313", -1])
    def test_money_is_a_non_negative_integer_of_fen(self, amount: object) -> None:
        event = example(INSPECTION)
        event["data"]["total_amount_fen"] = amount
        assert violations_of(event)[0].path == "data.total_amount_fen"

    def test_a_float_with_no_fraction_is_an_integer_as_json_schema_says(self) -> None:
        """School systems validate with standard validators, which accept 1313.0; so do we."""
        event = example(INSPECTION)
        event["data"]["total_amount_fen"] = 1313.0
        validate(event)

    @pytest.mark.parametrize("quantity", ["12.5", "0", "3"])
    def test_quantities_are_decimal_strings(self, quantity: str) -> None:
        event = example(INSPECTION)
        event["data"]["lines"][0]["quantity_accepted"] = quantity
        validate(event)

    @pytest.mark.parametrize("quantity", [12.5, "1e3", "-1", "12.", "012"])
    def test_float_or_malformed_quantity_is_rejected(self, quantity: object) -> None:
        event = example(INSPECTION)
        event["data"]["lines"][0]["quantity_accepted"] = quantity
        assert {violation.path for violation in violations_of(event)} == {
            "data.lines[0].quantity_accepted"
        }

    def test_data_times_must_carry_an_offset(self) -> None:
        event = example(INSPECTION)
        event["data"]["inspected_at"] = "2024-09-03T06:50:00"
        assert rules_at(event) == {("data.inspected_at", "pattern")}

    def test_empty_inspector_list_is_valid_so_the_rule_can_report_it(self) -> None:
        event = example(INSPECTION)
        event["data"]["inspectors"] = []
        validate(event)

    def test_missing_accompanying_leader_is_valid_so_the_rule_can_report_it(self) -> None:
        event = example(MEAL_SERVICE)
        event["data"]["accompanying_leaders"] = []
        validate(event)

    def test_nullable_field_accepts_null_and_reports_inner_problems(self) -> None:
        event = example("cn.edu.qinglian.finance.hospitality.v1")
        event["data"]["letter"] = None
        validate(event)
        event["data"]["letter"] = {"letter_id": "涪教函〔2024〕58号", "issuing_unit": "区教委"}
        assert rules_at(event) == {("data.letter.received_on", "required")}

    def test_pattern_messages_never_echo_the_value(self) -> None:
        event = example(INSPECTION)
        event["data"]["inspectors"][0]["name"] = "张" * 80
        (violation,) = violations_of(event)
        assert "张张" not in violation.message


class TestTypeInfo:
    def test_types_follow_the_naming_rule(self) -> None:
        for info in event_types():
            assert info.type == f"cn.edu.qinglian.{info.domain}.{info.name}.v{info.major}"
            assert (
                info.schema_id
                == f"https://contracts.qinglian.edu.cn/{info.domain}/{info.name}.v{info.major}.schema.json"
            )
            assert info.title_zh and info.title_en

    def test_every_domain_is_covered(self) -> None:
        names = {(info.domain, info.name) for info in event_types()}
        assert {domain for domain, _ in names} == {
            "canteen",
            "procurement",
            "enrollment",
            "finance",
            "alerts",
        }
        assert ("canteen", "inbound_inspection") in names
        assert ("procurement", "tender") in names
        assert ("enrollment", "admission_plan") in names
        assert ("finance", "collective_decision") in names

    def test_domain_of(self) -> None:
        assert domain_of("cn.edu.qinglian.procurement.bid.v1") == "procurement"

    def test_pii_paths_describe_where_identifiers_sit(self) -> None:
        assert type_info(INSPECTION).pii_paths == (
            "data.purchaser.staff_id",
            "data.purchaser.name",
            "data.inspectors[].staff_id",
            "data.inspectors[].name",
        )

    def test_unknown_type(self) -> None:
        with pytest.raises(UnknownEventType):
            type_info("cn.edu.qinglian.canteen.nothing.v1")
