"""Record mapping: a source row becomes a contract event, and a written event becomes a row again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from contracts import registry
from services.ingest.connectors.domain.mapping import (
    FieldRule,
    event_id,
    parse_path,
    to_event,
    to_record,
)
from services.ingest.connectors.domain.spec import StagingSpec
from services.ingest.domain.admission import admit
from tests.unit.connectors.support import CLEAR_ID_NUMBER, SCHOOL, meal_fee, specs, staging_entry

ROW: dict[str, Any] = {
    "id": 7,
    "school_code": 500102001,
    "payment_no": "JF-2024-090100381",
    "paid_at": "2024-09-01 20:15:32",
    "term_code": "2024-2025-1",
    "student_no": "G500102201304151236",
    "id_card_no": CLEAR_ID_NUMBER,
    "student_name": "李思琪",
    "amount_yuan": "720.00",
    "meal_days": "90",
    "pay_channel": "01",
    "account_type": "2",
    "updated_at": "2024-09-01 20:16:00",
}


@pytest.fixture
def spec(tmp_path: Path) -> StagingSpec:
    [built] = specs(tmp_path, staging_entry("canteen", "sqlite://"))
    assert isinstance(built, StagingSpec)
    return built


def mapped(spec: StagingSpec, row: dict[str, Any]) -> dict[str, Any]:
    [table] = spec.tables
    return to_event(table.mapping, row, source=spec.common.event_source, event_id="evt-1")


def test_row_becomes_a_valid_event_equal_to_the_contract_example(spec: StagingSpec) -> None:
    event = mapped(spec, ROW)
    registry.validate(event)
    example = meal_fee(381)
    assert event["data"] == example["data"] | {"payment_id": "JF-2024-090100381"}
    assert (event["schoolid"], event["districtid"], event["subject"]) == (
        SCHOOL,
        "500102",
        "JF-2024-090100381",
    )
    assert event["time"] == "2024-09-01T20:15:32+08:00"
    assert event["source"] == "/schools/500102001/canteen"
    assert event["id"] == "evt-1"


def test_a_value_that_does_not_convert_is_rejected_at_its_field(spec: StagingSpec) -> None:
    event = mapped(spec, ROW | {"amount_yuan": "七百二十"})
    assert event["data"]["amount_fen"] == "七百二十", "kept raw, for the contract to name the field"
    verdict = admit(0, event, spec.common.source_system((event["type"],)))
    assert [(reason.path, reason.rule) for reason in verdict.reasons] == [
        ("data.amount_fen", "type")
    ]


def test_an_unreadable_time_is_rejected_at_time(spec: StagingSpec) -> None:
    event = mapped(spec, ROW | {"paid_at": "昨天"})
    verdict = admit(0, event, spec.common.source_system((event["type"],)))
    assert "time" in {reason.path for reason in verdict.reasons}


def test_null_columns_leave_the_field_out(spec: StagingSpec) -> None:
    event = mapped(spec, ROW | {"student_name": None, "id_card_no": None})
    assert event["data"]["student"] == {"student_id": "G500102201304151236"}


def test_to_record_inverts_to_event(spec: StagingSpec) -> None:
    [table] = spec.tables
    record = to_record(table.mapping, meal_fee(381))
    assert mapped(spec, record)["data"] == meal_fee(381)["data"] | {"payment_id": "JF-2024-000381"}
    assert str(record["amount_yuan"]) == "720.00" and record["pay_channel"] == "01"


def test_column_of_a_violation_path(spec: StagingSpec) -> None:
    [table] = spec.tables
    assert table.mapping.column_of("data.amount_fen") == "amount_yuan"
    assert table.mapping.column_of("data.student.student_id") == "student_no"
    assert table.mapping.column_of("schoolid") == "school_code"
    assert table.mapping.column_of("data.lines[0].amount_fen") is None


def test_record_key_and_event_ids_are_deterministic(spec: StagingSpec) -> None:
    [table] = spec.tables
    key = table.mapping.record_key(ROW)
    assert key == ("JF-2024-090100381", "2024-09-01 20:16:00")
    assert event_id("canteen", table.stream, *key) == event_id("canteen", table.stream, *key)
    updated = table.mapping.record_key(ROW | {"updated_at": "2024-09-02 08:00:00"})
    assert event_id("canteen", table.stream, *updated) != event_id("canteen", table.stream, *key)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("amount_fen", ("amount_fen",)),
        ("student.student_id", ("student", "student_id")),
        ("suppliers[0].id", ("suppliers", 0, "id")),
    ],
)
def test_parse_path(text: str, path: tuple[str | int, ...]) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", ".a", "a..b", "[0].a", "a[x]", "a b", "a.[0]", "a[0]b", "a."])
def test_parse_path_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_path(text)


def test_array_paths_build_lists(tmp_path: Path) -> None:
    entry = staging_entry("c", "sqlite://")
    entry["tables"][0]["fields"] = {
        "payment_id": "payment_no",
        "student.student_id": "student_no",
    } | {
        "channel": {"value": "cash"},
        "meal_days": {"column": "meal_days", "convert": "integer"},
    }
    [built] = specs(tmp_path, entry)
    assert isinstance(built, StagingSpec)
    mapping = built.tables[0].mapping
    rules = (*mapping.fields, (parse_path("lines[1].item_code"), FieldRule(column="item")))
    event = to_event(
        replace(mapping, fields=rules), ROW | {"item": "VEG"}, source="/s", event_id="e"
    )
    assert event["data"]["lines"] == [None, {"item_code": "VEG"}]
    assert event["data"]["channel"] == "cash"
