"""The msgspec fast path (contracts.strict_types): never looser than the schema, and it does take valid events.

validate() returns as soon as the compiled msgspec type accepts an event, without asking
the schema validators. So whatever that type accepts, the reference validator (jsonschema)
must accept too: every example is mutated at every leaf, in the envelope and in the data,
in ways that probe each keyword's edge (type confusions, code point lengths, a pattern's
trailing newline, unknown and missing fields). And the fast path must not be idle: every
event type has one, and the simulator's events all pass it.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import msgspec
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contracts import registry
from contracts.strict_types import Unsupported, compile_schema, strict_check
from services.ingest.simulator.emissions import SimulatedEvent
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.simulation import simulate
from tests.unit.contracts.support import example
from tests.unit.contracts.test_fast_path_agreement import leaves, reference_errors

EVENT_TYPES = [info.type for info in registry.event_types()]

REPLACEMENTS: list[Any] = [
    None, True, False, 0, -1, 5.0, 1.5, 2**70, "", " ", "x", "x" * 300, "1", "2024-01-01\n",
    "pn:" + "a" * 32, "pn:" + "a" * 32 + "\n", "重" * 64, "重" * 65, "😀" * 64, [], [{}], {}, {"x": 1},
]  # fmt: skip


def strict(event_type: str) -> registry.StrictCheck:
    check = registry._contracts().strict_check(event_type)
    assert check is not None, f"{event_type} has no fast path"
    return check


def variants(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event with each leaf replaced, each key removed, and an unknown key added, everywhere."""
    found = []
    for path in leaves(event):
        for value in REPLACEMENTS:
            found.append(
                _at(event, path, lambda parent, key, value=value: parent.__setitem__(key, value))
            )
        found.append(
            _at(
                event,
                path,
                lambda parent, key: parent.pop(key) if isinstance(parent, dict) else None,
            )
        )
        found.append(_at(event, path[:-1] or path, _add_unknown))
    return found


def _at(event: dict[str, Any], path: tuple[Any, ...], change: Any) -> dict[str, Any]:
    result = copy.deepcopy(event)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    change(parent, path[-1])
    return result


def _add_unknown(parent: Any, key: Any) -> None:
    target = parent[key] if isinstance(parent[key], dict) else parent
    if isinstance(target, dict):
        target["unexpected_field"] = "x"


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_the_fast_path_accepts_nothing_the_schema_rejects(event_type: str) -> None:
    check = strict(event_type)
    event = example(event_type)
    assert check(event), "the valid example must pass the fast path"
    # Accepted by the fast path, the candidate has a known type and an object as data.
    looser = [
        candidate
        for candidate in variants(event)
        if check(candidate) and reference_errors(candidate)
    ]
    assert looser == []


def test_the_simulators_events_all_pass_the_fast_path() -> None:
    events = [
        emission.event
        for emission in itertools.islice(simulate(Scenario(schools=5, days=5)), 20_000)
        if isinstance(emission, SimulatedEvent)
    ]
    assert len({event["type"] for event in events}) >= 15
    missed = [event["type"] for event in events if not strict(event["type"])(event)]
    assert missed == []


def test_a_district_alert_without_school_falls_back_to_the_schema_validators() -> None:
    alert = example("cn.edu.qinglian.alerts.alert.v1")
    district_alert = {key: value for key, value in alert.items() if key != "schoolid"}
    district_alert["districtid"] = "500102"
    assert not strict(alert["type"])(district_alert)
    registry.validate(district_alert)  # valid all the same: the schema decides


def compiled(schema: dict[str, Any], **narrow: Any) -> Any:
    resource = Resource(contents=schema, specification=DRAFT202012)
    resolver = Registry().with_resource("urn:test", resource).resolver(base_uri="urn:test")
    return compile_schema(schema, resolver, narrow=narrow)


def accepts(schema_type: Any, instance: Any) -> bool:
    return strict_check(schema_type)(instance)


def test_string_branches_of_a_union_become_one_pattern_with_each_branchs_meaning() -> None:
    name = {
        "type": "object",
        "properties": {
            "name": {
                "anyOf": [
                    {"type": "string", "minLength": 1, "maxLength": 3},
                    {"type": "string", "pattern": "^pn:[0-9a-f]{2}$"},
                    {"enum": ["n/a"]},
                    {"type": "null"},
                ]
            }
        },
    }
    checked = compiled(name)
    assert [accepts(checked, {"name": value}) for value in ("abc", "pn:0f", "n/a", None)] == [
        True
    ] * 4
    assert [accepts(checked, {"name": value}) for value in ("abcd", "pn:0g", "", 1)] == [False] * 4


def test_lengths_count_code_points_and_booleans_are_not_numbers() -> None:
    checked = compiled(
        {
            "type": "object",
            "properties": {
                "label": {"type": "string", "maxLength": 2},
                "count": {"type": "integer"},
            },
        }
    )
    assert accepts(checked, {"label": "😀重", "count": 1})
    assert not accepts(checked, {"label": "😀重x"})
    assert not accepts(checked, {"count": True})


def test_keywords_of_other_types_do_not_constrain_a_multi_type_property() -> None:
    checked = compiled(
        {
            "type": "object",
            "properties": {"code": {"type": ["string", "null"], "pattern": "^[0-9]+$"}},
        }
    )
    assert accepts(checked, {"code": "12"}) and accepts(checked, {"code": None})
    assert not accepts(checked, {"code": "1a"})


def test_what_msgspec_cannot_express_is_refused_not_loosened() -> None:
    with pytest.raises(Unsupported, match="bounds on a number"):
        compiled({"type": "object", "properties": {"a": {"type": "number", "maximum": 2**53}}})
    with pytest.raises(Unsupported, match="minProperties"):
        compiled({"type": "object", "properties": {"a": {"type": "object", "minProperties": 1}}})
    with pytest.raises(Unsupported, match="pattern and a length"):
        compiled(
            {
                "type": "object",
                "properties": {
                    "a": {
                        "anyOf": [
                            {"type": "string", "pattern": "^a", "maxLength": 2},
                            {"type": "string"},
                        ]
                    }
                },
            }
        )


def test_a_narrowed_property_must_satisfy_its_own_schema() -> None:
    schema = {"type": "object", "properties": {"type": {"type": "string", "pattern": "^cn\\."}}}
    assert accepts(compiled(schema, type="cn.a"), {"type": "cn.a"})
    assert not accepts(compiled(schema, type="cn.a"), {"type": "cn.b"})
    with pytest.raises(Unsupported, match="does not satisfy"):
        compiled(schema, type="us.a")


def test_a_type_is_a_struct_that_msgspec_checked_on_build() -> None:
    checked = compiled(
        {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "boolean"}}}
    )
    assert issubclass(checked, msgspec.Struct)
    assert not accepts(checked, {"a": True, "b": 1})


def test_a_union_of_two_branches_of_one_json_type_is_refused() -> None:
    """msgspec tells union members apart by JSON type only: it would keep one branch's bounds."""
    with pytest.raises(Unsupported, match="union of several"):
        compiled(
            {
                "type": "object",
                "properties": {
                    "a": {
                        "anyOf": [
                            {"type": "integer", "maximum": 2},
                            {"type": "integer", "minimum": 5},
                        ]
                    }
                },
            }
        )
