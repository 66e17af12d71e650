"""contracts/types.py is derived from the schemas and cannot drift from them."""

from __future__ import annotations

from typing import get_type_hints

from contracts import types
from contracts.catalogue import load_catalogue
from contracts.codegen import TYPES_FILE, render_types
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
