"""The fast validator (fastjsonschema) and the reference one (jsonschema) agree.

validate() trusts fastjsonschema for valid events; if it ever accepted what the
schema rejects, a bad event would slip through silently. So every example is
mutated at every leaf in several ways and both validators must give the same verdict.
The fast validators are fastjsonschema's code with faster element names; they must
raise exactly what fastjsonschema.compile's would.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from typing import Any

import fastjsonschema
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contracts.errors import ContractViolation
from contracts.naming import ENVELOPE_SCHEMA_ID
from contracts.registry import (
    FastValidator,
    catalogue,
    compile_fast_validator,
    event_types,
    type_info,
    validate,
)
from tests.unit.contracts.support import example

REPLACEMENTS: list[Any] = [None, 1.5, "x" * 300, {}, "pn:" + "a" * 32]


@functools.cache
def reference_validator(schema_id: str) -> Draft202012Validator:
    schemas = catalogue().schemas_by_id
    registry = Registry().with_resources(
        (key, Resource(contents=schema, specification=DRAFT202012))
        for key, schema in schemas.items()
    )
    return Draft202012Validator(schemas[schema_id], registry=registry)


def reference_errors(event: dict[str, Any]) -> bool:
    envelope = reference_validator(ENVELOPE_SCHEMA_ID)
    data = reference_validator(type_info(event["type"]).schema_id)
    return not envelope.is_valid(event) or not data.is_valid(event["data"])


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, child in node.items():
            yield from leaves(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from leaves(child, (*path, index))
    if path:
        yield path


def mutated(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(event)
    node = result["data"]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return result


@pytest.mark.parametrize("event_type", [info.type for info in event_types()])
def test_fast_and_reference_validators_agree(event_type: str) -> None:
    event = example(event_type)
    disagreements = []
    for path in leaves(event["data"]):
        for value in REPLACEMENTS:
            candidate = mutated(event, path, value)
            try:
                validate(candidate)
                accepted = True
            except ContractViolation:
                accepted = False
            if accepted == reference_errors(candidate):
                disagreements.append((path, value))
    assert disagreements == []


def fast_error(validator: FastValidator, instance: Any) -> tuple[str, str, str | None] | None:
    try:
        validator(instance)
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message, str(exc.name), exc.rule
    return None


@pytest.mark.parametrize("event_type", [info.type for info in event_types()])
def test_fast_validators_raise_what_fastjsonschema_raises(event_type: str) -> None:
    schemas = catalogue().schemas_by_id
    handlers = {"https": schemas.__getitem__}
    event = example(event_type)
    for schema_id, instance_of in (
        (ENVELOPE_SCHEMA_ID, lambda candidate: candidate),
        (type_info(event_type).schema_id, lambda candidate: candidate["data"]),
    ):
        ours = compile_fast_validator(schemas[schema_id], handlers)
        theirs = fastjsonschema.compile(schemas[schema_id], handlers=handlers)
        assert ours.__name__ == theirs.__name__
        candidates = [event] + [
            mutated(event, path, value) for path in leaves(event["data"]) for value in REPLACEMENTS
        ]
        outcomes = [
            (fast_error(ours, instance_of(c)), fast_error(theirs, instance_of(c)))
            for c in candidates
        ]
        assert [mine for mine, reference in outcomes if mine != reference] == []
        assert any(mine is not None for mine, _ in outcomes) or schema_id == ENVELOPE_SCHEMA_ID
