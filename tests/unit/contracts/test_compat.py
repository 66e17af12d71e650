"""Schema evolution: the working schemas stay compatible with the published lock, and
deliberately incompatible changes are caught."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.catalogue import load_catalogue
from contracts.compat import check_backward_compatible, check_catalogue
from contracts.errors import IncompatibleSchemaChange
from contracts.naming import COMMON_SCHEMA_ID, ENVELOPE_SCHEMA_ID, SCHEMA_DIR
from contracts.published import PUBLISHED_DIR, lock, published_incompatibilities

INSPECTION_ID = "https://contracts.qinglian.edu.cn/canteen/inbound_inspection.v1.schema.json"
PUBLISHED = load_catalogue(PUBLISHED_DIR)
Schema = dict[str, Any]


def published(schema_id: str = INSPECTION_ID) -> Schema:
    return copy.deepcopy(PUBLISHED.schemas_by_id[schema_id])


def kinds(old: Schema, new: Schema) -> set[tuple[str, str]]:
    return {(item.path, item.kind) for item in check_backward_compatible(old, new)}


def test_working_schemas_are_compatible_with_the_published_lock() -> None:
    incompatibilities = published_incompatibilities()
    assert incompatibilities == [], "\n".join(map(str, incompatibilities))


def test_every_published_type_is_still_served() -> None:
    assert set(PUBLISHED.types) <= set(load_catalogue().types)


def remove_property(schema: Schema) -> None:
    del schema["properties"]["warehouse_id"]
    schema["required"].remove("warehouse_id")


def rename_property(schema: Schema) -> None:
    schema["properties"]["store_id"] = schema["properties"].pop("warehouse_id")
    schema["required"] = [
        "store_id" if name == "warehouse_id" else name for name in schema["required"]
    ]


def change_type(schema: Schema) -> None:
    schema["properties"]["is_bulk"] = {"type": "string"}


def add_required(schema: Schema) -> None:
    schema["properties"]["vehicle_plate"] = {"type": "string"}
    schema["required"].append("vehicle_plate")


def narrow_enum(schema: Schema) -> None:
    schema["properties"]["result"]["enum"].remove("partially_accepted")


def narrow_pattern(schema: Schema) -> None:
    schema["properties"]["inspectors"]["items"]["properties"]["role"] = {
        "type": "string",
        "pattern": "^[a-z]+$",
    }


def forbid_null(schema: Schema) -> None:
    schema["properties"]["order_id"] = {"$ref": "../common.schema.json#/$defs/identifier"}


def change_shared_pattern(schema: Schema) -> None:
    schema["$defs"]["school_id"]["pattern"] = "^[0-9]{10}$"


def tighten_nested_bound(schema: Schema) -> None:
    schema["properties"]["lines"]["minItems"] = 2


def require_nested(schema: Schema) -> None:
    schema["properties"]["inspectors"]["items"]["required"].append("name")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (remove_property, ("warehouse_id", "removed_property")),
        (rename_property, ("warehouse_id", "removed_property")),
        (change_type, ("is_bulk", "type_changed")),
        (add_required, ("vehicle_plate", "required_added")),
        (narrow_enum, ("result", "enum_narrowed")),
        (narrow_pattern, ("inspectors[].role", "pattern_changed")),
        (forbid_null, ("order_id", "null_removed")),
        (tighten_nested_bound, ("lines", "constraint_narrowed")),
        (require_nested, ("inspectors[].name", "required_added")),
    ],
)
def test_incompatible_change_is_reported(
    change: Callable[[Schema], None], expected: tuple[str, str]
) -> None:
    old = published()
    new = published()
    change(new)
    assert expected in kinds(old, new)


def add_optional(schema: Schema) -> None:
    schema["properties"]["vehicle_plate"] = {"type": "string", "maxLength": 16}


def widen_enum(schema: Schema) -> None:
    schema["properties"]["result"]["enum"].append("returned")


def make_nullable(schema: Schema) -> None:
    schema["properties"]["warehouse_id"] = {
        "anyOf": [schema["properties"]["warehouse_id"], {"type": "null"}]
    }


def relax_required(schema: Schema) -> None:
    schema["required"].remove("warehouse_id")


def drop_min_items(schema: Schema) -> None:
    del schema["properties"]["lines"]["minItems"]


@pytest.mark.parametrize(
    "change", [add_optional, widen_enum, make_nullable, relax_required, drop_min_items]
)
def test_compatible_change_is_accepted(change: Callable[[Schema], None]) -> None:
    new = published()
    change(new)
    assert check_backward_compatible(published(), new) == []


def school_required_everywhere(envelope: Schema) -> Schema:
    """The envelope as published before district-level alerts: schoolid required, no alternative."""
    older = copy.deepcopy(envelope)
    del older["anyOf"]
    older["required"].append("schoolid")
    return older


def test_letting_district_level_alerts_omit_schoolid_widens_the_envelope() -> None:
    envelope = published(ENVELOPE_SCHEMA_ID)
    assert check_backward_compatible(school_required_everywhere(envelope), envelope) == []


def test_requiring_schoolid_of_every_event_again_is_reported() -> None:
    envelope = published(ENVELOPE_SCHEMA_ID)
    assert ("schoolid", "required_added") in kinds(envelope, school_required_everywhere(envelope))


def test_a_root_alternative_does_not_hide_a_newly_required_property() -> None:
    new = published()
    new["required"].append("vehicle_plate")
    new["properties"]["vehicle_plate"] = {"type": "string"}
    new["anyOf"] = [{"required": ["warehouse_id"]}, {"required": ["order_id"]}]
    assert ("vehicle_plate", "required_added") in kinds(published(), new)


def test_a_narrowed_shared_pattern_is_reported() -> None:
    new = published(COMMON_SCHEMA_ID)
    change_shared_pattern(new)
    assert kinds(published(COMMON_SCHEMA_ID), new) == {("$defs.school_id", "pattern_changed")}


def test_changes_to_shared_definitions_are_checked_too() -> None:
    new = published(COMMON_SCHEMA_ID)
    del new["$defs"]["staff_id"]["x-qinglian-pii"]
    new["$defs"]["money_fen"]["type"] = "string"
    del new["$defs"]["ocid"]
    assert kinds(published(COMMON_SCHEMA_ID), new) == {
        ("$defs.staff_id", "pii_changed"),
        ("$defs.money_fen", "type_changed"),
        ("$defs.ocid", "removed_definition"),
    }


class TestCatalogueAgainstLock:
    @pytest.fixture
    def schema_dir(self, tmp_path: Path) -> Path:
        directory = tmp_path / "schemas"
        shutil.copytree(SCHEMA_DIR, directory)
        return directory

    @staticmethod
    def edit(
        schema_dir: Path, change: Callable[[Schema], None], version: str | None = None
    ) -> None:
        path = schema_dir / "canteen" / "inbound_inspection.v1.schema.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        change(schema)
        if version:
            schema["x-qinglian-version"] = version
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")

    def test_a_removed_published_type_is_reported(self, schema_dir: Path) -> None:
        (schema_dir / "finance" / "invoice.v1.schema.json").unlink()
        found = check_catalogue(PUBLISHED, load_catalogue(schema_dir))
        assert [item.kind for item in found] == ["removed_schema"]

    def test_a_compatible_change_needs_a_version_bump(self, schema_dir: Path) -> None:
        self.edit(schema_dir, add_optional)
        found = check_catalogue(PUBLISHED, load_catalogue(schema_dir))
        assert [item.kind for item in found] == ["version_not_bumped"]
        self.edit(schema_dir, lambda schema: None, version="1.1.0")
        assert check_catalogue(PUBLISHED, load_catalogue(schema_dir)) == []

    def test_a_new_major_type_beside_the_old_one_is_fine(self, schema_dir: Path) -> None:
        old = json.loads(
            (schema_dir / "canteen" / "inbound_inspection.v1.schema.json").read_text(
                encoding="utf-8"
            )
        )
        new = {**old, "$id": old["$id"].replace(".v1.", ".v2."), "x-qinglian-version": "2.0.0"}
        remove_property(new)
        (schema_dir / "canteen" / "inbound_inspection.v2.schema.json").write_text(
            json.dumps(new), encoding="utf-8"
        )
        current = load_catalogue(schema_dir)
        assert "cn.edu.qinglian.canteen.inbound_inspection.v2" in current.types
        assert check_catalogue(PUBLISHED, current) == []

    def test_lock_refuses_an_incompatible_change_and_keeps_the_old_lock(
        self, schema_dir: Path, tmp_path: Path
    ) -> None:
        lock_dir = tmp_path / "published"
        shutil.copytree(PUBLISHED_DIR, lock_dir)
        self.edit(schema_dir, remove_property, version="1.1.0")
        with pytest.raises(IncompatibleSchemaChange, match="warehouse_id"):
            lock(schema_dir, lock_dir)
        assert load_catalogue(lock_dir).schemas_by_id == PUBLISHED.schemas_by_id

    def test_lock_copies_a_compatible_change(self, schema_dir: Path, tmp_path: Path) -> None:
        lock_dir = tmp_path / "published"
        shutil.copytree(PUBLISHED_DIR, lock_dir)
        self.edit(schema_dir, add_optional, version="1.1.0")
        written = lock(schema_dir, lock_dir)
        assert len(written) == len(PUBLISHED.schemas_by_id)
        locked = load_catalogue(lock_dir).schemas_by_id[INSPECTION_ID]
        assert "vehicle_plate" in locked["properties"]
