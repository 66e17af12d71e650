"""contracts/types.py is derived from the schemas and cannot drift from them; named enums become StrEnums."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import get_type_hints

import pytest

from contracts import types
from contracts.catalogue import SchemaCatalogue, load_catalogue
from contracts.codegen import ENUM_KEYWORD, TYPES_FILE, render_types
from contracts.errors import ContractError
from contracts.registry import event_types


def test_committed_types_equal_a_fresh_generation() -> None:
    assert TYPES_FILE.read_text(encoding="utf-8") == render_types(load_catalogue()), (
        "contracts/types.py is stale: run `qinglian contracts generate`"
    )


def test_event_types_tuple_lists_every_contract() -> None:
    assert types.EVENT_TYPES == tuple(info.type for info in event_types())
    assert set(types.DATA_TYPES) == set(types.EVENT_TYPES)


def test_typed_dicts_mirror_required_and_optional_properties() -> None:
    inspection = types.DATA_TYPES["cn.edu.qinglian.canteen.inbound_inspection.v1"]
    assert inspection is types.CanteenInboundInspectionV1
    assert "supplier_licence_no" in inspection.__optional_keys__
    assert {"inspectors", "purchaser", "total_amount_fen"} <= inspection.__required_keys__
    hints = get_type_hints(types.CanteenInboundInspectionV1InspectorsItem)
    assert set(hints) == {"staff_id", "name", "role"}


def test_generated_module_is_deterministic() -> None:
    catalogue = load_catalogue()
    assert render_types(catalogue) == render_types(catalogue)


ALERT_SCHEMA_ID = "https://contracts.qinglian.edu.cn/alerts/alert.v1.schema.json"


def test_named_alert_enums_are_str_enums_holding_the_schemas_values() -> None:
    alert = load_catalogue().schemas_by_id[ALERT_SCHEMA_ID]["properties"]
    for generated, node in [
        (types.Severity, alert["severity"]),
        (types.RiskArea, alert["risk_area"]),
        (types.SubjectKind, alert["subject"]["properties"]["kind"]),
    ]:
        assert [member.value for member in generated] == node["enum"]
        assert all(member.name == member.value.upper() for member in generated)
    assert types.Severity("red") is types.Severity.RED and types.Severity.RED == "red"


def with_alert_enum(catalogue: SchemaCatalogue, name: str, values: list[str]) -> SchemaCatalogue:
    """The catalogue with one more enum property named ``name`` in the alert schema."""
    schemas = copy.deepcopy(dict(catalogue.schemas_by_id))
    schemas[ALERT_SCHEMA_ID]["properties"]["extra"] = {"enum": values, ENUM_KEYWORD: name}
    return replace(catalogue, schemas_by_id=schemas)


def test_schemas_naming_the_same_enum_share_one_class_with_every_value() -> None:
    rendered = render_types(with_alert_enum(load_catalogue(), "Severity", ["yellow", "blue"]))
    assert rendered.count("class Severity(StrEnum)") == 1
    assert '    YELLOW = "yellow"\n    BLUE = "blue"\n' in rendered


def test_a_named_enum_whose_value_is_no_python_name_is_refused() -> None:
    with pytest.raises(ContractError, match="Comparison"):
        render_types(with_alert_enum(load_catalogue(), "Comparison", [">", "<"]))
