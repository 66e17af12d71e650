"""Pseudonymization at ingest: precise for known types, by field name otherwise."""

from __future__ import annotations

import orjson

from services.ingest.domain.privacy import Pseudonymizer, pii_kinds_by_field_name
from tests.unit.ingest.support import AID, CLEAR_ID_NUMBER, PREFIX, event

PSEUDONYMIZER = Pseudonymizer(b"test-key")


def test_field_names_come_from_the_contracts() -> None:
    kinds = pii_kinds_by_field_name()
    assert kinds["id_number"] == "id_number" and kinds["staff_id"] == "staff_id"


def test_known_type_is_pseudonymized_where_the_contract_says() -> None:
    stored = PSEUDONYMIZER.payload(event(AID))
    assert isinstance(stored, dict)
    assert (
        stored["data"]["student"]["id_number"]
        == PSEUDONYMIZER.event(event(AID))["data"]["student"]["id_number"]
    )
    assert stored["data"]["aid_category"] == "boarding_living_allowance"


def test_unknown_type_is_swept_by_field_name_and_keeps_the_rest() -> None:
    payload = {
        "type": f"{PREFIX}finance.unheard_of.v1",
        "rows": [{"id_number": CLEAR_ID_NUMBER, "amount": 5}],
    }
    stored = PSEUDONYMIZER.payload(payload)
    assert CLEAR_ID_NUMBER not in orjson.dumps(stored).decode()
    assert stored["rows"][0]["amount"] == 5


def test_same_clear_value_gives_the_same_pseudonym_either_way() -> None:
    precise = PSEUDONYMIZER.event(event(AID))["data"]["student"]["id_number"]
    swept = PSEUDONYMIZER.payload([{"id_number": CLEAR_ID_NUMBER}])
    assert swept == [{"id_number": precise}]


def test_non_objects_pass_through() -> None:
    assert PSEUDONYMIZER.payload("text") == "text"
    assert PSEUDONYMIZER.payload(42) == 42
