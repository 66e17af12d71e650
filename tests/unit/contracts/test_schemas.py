"""The schema files follow the house rules: strict objects, exact money, times with offsets, PII marked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contracts.catalogue import load_catalogue
from contracts.naming import COMMON_SCHEMA_ID, ENVELOPE_SCHEMA_ID, SCHEMA_DIR
from contracts.pii_fields import PII_KEYWORD, PII_KINDS
from contracts.registry import event_types, type_info

CATALOGUE = load_catalogue()
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Property names that hold a person identifier wherever they appear.
IDENTIFYING_NAMES = {
    "staff_id",
    "actor_staff_id",
    "head_teacher_staff_id",
    "student_id",
    "id_number",
    "phone",
    "account_no",
    "payee_account_no",
    "payer_account_no",
    "recipient_account_no",
    "account_holder_name",
    "person_name",
}


def nodes(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, child in node.items():
            yield from nodes(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from nodes(child, f"{path}/{index}")


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, node in nodes(schema):
        for name, child in node.get("properties", {}).items():
            yield f"{path}/{name}", name, child


def resolved(schema_id: str, node: dict[str, Any]) -> list[dict[str, Any]]:
    """The node and everything it stands for through $ref and anyOf."""
    found = [node]
    if "$ref" in node:
        target_id, target = CATALOGUE.resolve(schema_id, node["$ref"])
        found += resolved(target_id, target)
    for branch in node.get("anyOf", ()):
        found += resolved(schema_id, branch)
    return found


ALL_SCHEMAS = sorted(CATALOGUE.schemas_by_id)
DATA_SCHEMAS = [info.schema_id for info in event_types()]


MAJOR_OF = {info.schema_id: info.major for info in event_types()}


@pytest.mark.parametrize("schema_id", ALL_SCHEMAS)
def test_declares_draft_2020_12_and_a_version(schema_id: str) -> None:
    schema = CATALOGUE.schemas_by_id[schema_id]
    assert schema["$schema"] == DRAFT_2020_12
    assert schema["x-qinglian-version"].split(".")[0] == str(MAJOR_OF.get(schema_id, 1))
    assert " / " in schema["title"]
    assert schema["description"]


def narrows_its_parent(path: str, node: dict[str, Any]) -> bool:
    """An untyped anyOf branch (the envelope's district-level alert) only adds conditions on the
    properties of the object it belongs to; that object is the one that must be closed."""
    return "type" not in node and path.rsplit("/", 2)[-2:-1] == ["anyOf"]


@pytest.mark.parametrize("schema_id", ALL_SCHEMAS)
def test_every_object_with_properties_is_closed(schema_id: str) -> None:
    open_objects = [
        path
        for path, node in nodes(CATALOGUE.schemas_by_id[schema_id])
        if "properties" in node
        and node.get("additionalProperties") is not False
        and not narrows_its_parent(path, node)
    ]
    assert open_objects == []


@pytest.mark.parametrize("schema_id", ALL_SCHEMAS)
def test_required_names_exist(schema_id: str) -> None:
    by_path = dict(nodes(CATALOGUE.schemas_by_id[schema_id]))
    for path, node in by_path.items():
        owner = by_path[path.rsplit("/", 2)[0]] if narrows_its_parent(path, node) else node
        assert set(node.get("required", ())) <= set(owner.get("properties", {})), path


@pytest.mark.parametrize("schema_id", ALL_SCHEMAS)
def test_no_floats_anywhere(schema_id: str) -> None:
    assert [
        path
        for path, node in nodes(CATALOGUE.schemas_by_id[schema_id])
        if "number" in str(node.get("type"))
    ] == []


@pytest.mark.parametrize("schema_id", DATA_SCHEMAS)
def test_naming_conventions_match_the_value_kinds(schema_id: str) -> None:
    def refs(node: dict[str, Any]) -> set[str]:
        return {
            item["$ref"].rsplit("/", 1)[-1] for item in resolved(schema_id, node) if "$ref" in item
        }

    for path, name, node in properties(CATALOGUE.schemas_by_id[schema_id]):
        if name.endswith("_fen"):
            assert refs(node) & {"money_fen", "signed_money_fen"}, path
        if name.endswith("_at") or name == "time":
            assert "datetime_cst" in refs(node), path
        if name.endswith(("_date", "_on")) or name == "date":
            assert "date" in refs(node), path


@pytest.mark.parametrize("schema_id", ALL_SCHEMAS)
def test_identifying_properties_are_marked_pii(schema_id: str) -> None:
    for path, name, node in properties(CATALOGUE.schemas_by_id[schema_id]):
        if name in IDENTIFYING_NAMES:
            kinds = {item.get(PII_KEYWORD) for item in resolved(schema_id, node)} - {None}
            assert len(kinds) == 1 and kinds <= set(PII_KINDS), path


def test_pii_markers_use_known_kinds_and_accept_the_pseudonym() -> None:
    markers = [
        node for _, node in nodes(CATALOGUE.schemas_by_id[COMMON_SCHEMA_ID]) if PII_KEYWORD in node
    ]
    assert {node[PII_KEYWORD] for node in markers} == set(PII_KINDS)
    for node in markers:
        assert {"$ref": "#/$defs/pseudonym"} in node["anyOf"]


def test_envelope_requires_the_cloudevents_attributes_and_the_partition_key() -> None:
    envelope = CATALOGUE.schemas_by_id[ENVELOPE_SCHEMA_ID]
    assert set(envelope["required"]) == {
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "dataschema",
        "datacontenttype",
        "data",
    }
    school, district_level_alert = envelope["anyOf"]
    assert school == {"required": ["schoolid"]}
    assert district_level_alert["required"] == ["districtid"]
    assert {"subject", "districtid"} <= set(envelope["properties"])


def test_every_file_is_a_known_schema() -> None:
    assert len(list(SCHEMA_DIR.rglob("*.json"))) == len(ALL_SCHEMAS) == len(DATA_SCHEMAS) + 2


# Fields the detector rules read (issue 4); renaming any of them needs a new major type anyway,
# this table makes the dependency visible.
RULE_FIELDS = [
    ("canteen.inbound_inspection", ["inspectors", "purchaser", "is_bulk", "supplier", "lines"]),
    ("canteen.meal_service", ["accompanying_leaders", "student_meals", "service_date", "meal"]),
    (
        "canteen.subsidy_claim",
        ["beneficiary_count", "meal_days", "standard_fen_per_day", "claimed_amount_fen"],
    ),
    (
        "canteen.subsidy_spending",
        ["fund_source", "expense_category", "payee", "amount_fen", "term"],
    ),
    ("canteen.purchase_order", ["lines", "supplier", "ordered_at"]),
    ("canteen.stock_count", ["lines", "count_date", "warehouse_id"]),
    (
        "procurement.contract",
        [
            "budget_project_id",
            "item_category",
            "procurement_method",
            "value_fen",
            "fiscal_year",
            "signed_at",
            "published_at",
            "supplier",
        ],
    ),
    (
        "procurement.tender",
        [
            "ocid",
            "tender_period",
            "number_of_tenderers",
            "procurement_method",
            "procurement_method_details",
            "status",
            "buyer",
            "procuring_entity",
            "items",
        ],
    ),
    ("procurement.bid", ["status", "tenderers", "value", "submitted_at", "deposit"]),
    ("procurement.award", ["status", "suppliers", "decided_at", "notice_published_at", "items"]),
    ("procurement.amendment", ["original_value_fen", "value_change_fen", "status", "contract_id"]),
    ("procurement.payment", ["contract_id", "amount_fen"]),
    (
        "enrollment.registration",
        ["student", "class_id", "grade", "hukou_type", "nutrition_plan_beneficiary"],
    ),
    ("enrollment.roster_snapshot", ["classes", "total_students"]),
    (
        "enrollment.admission",
        ["admission_basis", "catchment_zone_id", "address_zone_id", "plan_id", "grade"],
    ),
    ("enrollment.admission_plan", ["approved_quota", "grade", "school_year"]),
    ("enrollment.attendance", ["present", "absent", "kind", "date"]),
    ("enrollment.school_profile", ["school_type", "location", "nutrition_plan", "leaders"]),
    (
        "finance.fee_charge",
        [
            "fee_item_code",
            "fee_item_name",
            "fee_category",
            "standard_fen",
            "amount_fen",
            "collected_by",
        ],
    ),
    ("finance.aid_disbursement", ["student", "aid_category", "term", "amount_fen"]),
    ("finance.invoice", ["invoice_code", "invoice_number", "seller", "total_fen", "issued_on"]),
    ("finance.hospitality", ["letter", "guests", "companions"]),
    ("finance.payroll_allowance", ["lines", "month"]),
    (
        "finance.payment_voucher",
        ["approval_chain", "requester", "meeting_id", "amount_fen", "contract_id"],
    ),
    ("finance.collective_decision", ["meeting_id", "decisions", "held_at"]),
]


@pytest.mark.parametrize(("short_type", "fields"), RULE_FIELDS)
def test_fields_the_rules_read_exist(short_type: str, fields: list[str]) -> None:
    schema = CATALOGUE.data_schema(type_info(f"cn.edu.qinglian.{short_type}.v1").type)
    assert set(fields) <= set(schema["properties"])
