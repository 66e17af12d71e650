"""pseudonymize() and clear_values(): no person identifier reaches Kafka in clear, joins still work."""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

import pytest

from contracts.errors import UnknownEventType
from contracts.pii import PSEUDONYM_PATTERN, clear_values, is_pseudonym, pseudonym, pseudonymize
from contracts.registry import event_types, type_info, validate
from tests.unit.contracts.support import example

KEY = b"qinglian-test-key"
TYPES = [info.type for info in event_types()]
TYPES_WITH_PII = [info.type for info in event_types() if info.pii_paths]
MEAL_FEE = "cn.edu.qinglian.canteen.meal_fee_payment.v1"
AID = "cn.edu.qinglian.finance.aid_disbursement.v1"
INSPECTION = "cn.edu.qinglian.canteen.inbound_inspection.v1"


class TestPseudonym:
    def test_known_vector(self) -> None:
        """Pinned so a refactor can never silently change every pseudonym (and break every join)."""
        assert (
            pseudonym("id_number", "500102201304151236", KEY)
            == "pn:55fa6df70a981560d4eee2de25f38046"
        )

    def test_is_the_first_32_hex_of_hmac_sha256_over_kind_and_value(self) -> None:
        digest = hmac.new(KEY, b"staff_id:T2015031", hashlib.sha256).hexdigest()
        assert pseudonym("staff_id", "T2015031", KEY) == "pn:" + digest[:32]

    def test_kind_separates_equal_values(self) -> None:
        assert pseudonym("staff_id", "12345678", KEY) != pseudonym("bank_account", "12345678", KEY)

    def test_key_matters(self) -> None:
        assert pseudonym("phone", "13908351234", KEY) != pseudonym(
            "phone", "13908351234", b"another key"
        )

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("pn:55fa6df70a981560d4eee2de25f38046", True),
            ("pn:55FA6DF70A981560D4EEE2DE25F38046", False),
            ("pn:55fa6df70a981560d4eee2de25f3804", False),
            ("55fa6df70a981560d4eee2de25f38046", False),
            ("pn:55fa6df70a981560d4eee2de25f38046\n", False),
        ],
    )
    def test_is_pseudonym(self, value: str, expected: bool) -> None:
        assert is_pseudonym(value) is expected
        assert PSEUDONYM_PATTERN == r"^pn:[0-9a-f]{32}$"


class TestPseudonymize:
    @pytest.mark.parametrize("event_type", TYPES)
    def test_leaves_no_clear_value_and_still_validates(self, event_type: str) -> None:
        event = example(event_type)
        before = clear_values(event)
        result = pseudonymize(event, KEY)
        assert clear_values(result) == []
        validate(result)
        serialized = str(result)
        assert not [value for value in before if value in serialized]

    @pytest.mark.parametrize("event_type", TYPES_WITH_PII)
    def test_examples_carry_identifiers_in_clear_as_schools_send_them(
        self, event_type: str
    ) -> None:
        assert clear_values(example(event_type))

    @pytest.mark.parametrize("event_type", TYPES)
    def test_does_not_modify_its_argument(self, event_type: str) -> None:
        event = example(event_type)
        pseudonymize(event, KEY)
        assert event == example(event_type)

    def test_does_not_modify_an_invalid_argument(self) -> None:
        event = example(MEAL_FEE)
        event["data"]["student"]["name"] = {"family": "李", "given": "思琪"}
        event["data"]["collector"] = ["T2015031"]
        before = copy.deepcopy(event)
        pseudonymize(event, KEY)
        assert event == before

    def test_the_result_owns_every_object_and_array_on_the_way_to_an_identifier(self) -> None:
        """So the pseudonyms are written into copies; the rest is shared, as copying it was half the cost."""
        event = example(INSPECTION)
        result = pseudonymize(event, KEY)
        for path in (("data",), ("data", "purchaser"), ("data", "inspectors")):
            assert _at(result, path) is not _at(event, path)
        assert not {id(person) for person in result["data"]["inspectors"]} & {
            id(person) for person in event["data"]["inspectors"]
        }
        assert result["data"]["lines"] is event["data"]["lines"]
        assert result["data"]["supplier"] is event["data"]["supplier"]

    def test_an_object_found_at_two_locations_is_pseudonymized_at_both_and_left_intact(
        self,
    ) -> None:
        event = example(INSPECTION)
        inspector = event["data"]["inspectors"][0]
        event["data"]["inspectors"] = [inspector, inspector]
        event["data"]["purchaser"] = inspector
        clear = dict(inspector)
        result = pseudonymize(event, KEY)
        assert inspector == clear
        assert clear_values(result) == []
        assert (
            result["data"]["purchaser"]
            == result["data"]["inspectors"][0]
            == result["data"]["inspectors"][1]
        )

    def test_only_identifiers_change(self) -> None:
        event = example(INSPECTION)
        result = pseudonymize(event, KEY)
        assert result["data"]["supplier"] == event["data"]["supplier"]
        assert result["data"]["lines"] == event["data"]["lines"]
        assert {key: value for key, value in result.items() if key != "data"} == {
            key: value for key, value in event.items() if key != "data"
        }
        assert result["data"]["inspectors"][0] == {
            "staff_id": pseudonym("staff_id", "T2019044", KEY),
            "name": pseudonym("person_name", "刘红英", KEY),
            "role": "storekeeper",
        }

    def test_is_idempotent(self) -> None:
        once = pseudonymize(example(AID), KEY)
        assert pseudonymize(once, KEY) == once
        assert pseudonymize(once, b"another key") == once

    def test_the_same_student_gets_the_same_pseudonym_in_every_domain(self) -> None:
        meal_fee = pseudonymize(example(MEAL_FEE), KEY)["data"]["student"]
        aid = pseudonymize(example(AID), KEY)["data"]["student"]
        assert meal_fee == aid
        assert is_pseudonym(aid["student_id"])

    def test_reaches_values_inside_arrays_of_strings(self) -> None:
        claim = pseudonymize(example("cn.edu.qinglian.canteen.subsidy_claim.v1"), KEY)
        assert claim["data"]["beneficiaries"]
        assert all(is_pseudonym(value) for value in claim["data"]["beneficiaries"])

    def test_missing_optional_and_null_fields_are_skipped(self) -> None:
        event = example(MEAL_FEE)
        del event["data"]["student"]["name"]
        result = pseudonymize(event, KEY)
        assert "name" not in result["data"]["student"]
        roster = pseudonymize(example("cn.edu.qinglian.enrollment.roster_snapshot.v1"), KEY)
        assert roster["data"]["classes"][2]["head_teacher_staff_id"] is None

    def test_values_of_the_wrong_shape_are_replaced_whole_so_dead_letters_leak_nothing(
        self,
    ) -> None:
        event = example(MEAL_FEE)
        event["data"]["student"]["id_number"] = 500102201304151236
        event["data"]["student"]["name"] = {"family": "李", "given": "思琪"}
        assert clear_values(event)[1:] == ["500102201304151236", '{"family":"李","given":"思琪"}']
        student = pseudonymize(event, KEY)["data"]["student"]
        assert student["id_number"] == pseudonym("id_number", "500102201304151236", KEY)
        assert is_pseudonym(student["name"])

    def test_unknown_type(self) -> None:
        event = example(MEAL_FEE)
        event["type"] = "cn.edu.qinglian.canteen.unknown.v1"
        with pytest.raises(UnknownEventType):
            pseudonymize(event, KEY)


def test_clear_values_lists_every_identifier_in_schema_order() -> None:
    assert clear_values(example(INSPECTION)) == [
        "T2015031",
        "张志强",
        "T2019044",
        "T2010009",
        "刘红英",
        "赵德明",
    ]


def test_pii_paths_of_types_with_students_cover_the_student_number() -> None:
    assert "data.student.student_id" in type_info(AID).pii_paths
    assert "data.recipient_account_no" in type_info(AID).pii_paths


def _at(event: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = event
    for name in path:
        node = node[name]
    return node
