"""The published event types and validation against them.

Schemas are read and validators compiled on first use and then cached; nothing
happens at import. Three validators, each asked only when the one before did not
accept the event: msgspec types compiled from the schemas (contracts.strict_types, a
few microseconds, never looser than the schema), fastjsonschema (compiled Python),
and jsonschema, which reports every violation with its precise path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contracts.catalogue import SchemaCatalogue, load_catalogue, split_title
from contracts.errors import ContractViolation, UnknownEventType, Violation
from contracts.naming import ENVELOPE_SCHEMA_ID
from contracts.pii_fields import PiiField, find_pii_fields
from contracts.strict_types import StrictCheck, Unsupported, compile_schema, strict_check
from contracts.violations import to_violations

FastValidator = Callable[[Any], Any]

# fastjsonschema's generated code names every array element it checks with
# "data.lines[{data__lines_x}]".format(**locals()), valid or not: on the push API's events that
# was a fifth of the validation time. The same text as an f-string costs a fraction of it.
_FORMAT_WITH_LOCALS = re.compile(r'"((?:[^"\\]|\\.)*)"\.format\(\*\*locals\(\)\)')
_FIRST_FUNCTION = re.compile(r"^def (\w+)\(", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class EventTypeInfo:
    type: str
    domain: str
    name: str
    major: int
    schema_id: str
    title_zh: str
    title_en: str
    pii_paths: tuple[str, ...]  # e.g. "data.inspectors[].staff_id"


def validate(event: dict[str, Any]) -> None:
    """Check the envelope and the data of one event; raises ContractViolation listing every problem."""
    _contracts().validate(event)


def event_types() -> list[EventTypeInfo]:
    return list(_contracts().infos.values())


def type_info(event_type: str) -> EventTypeInfo:
    info = _contracts().infos.get(event_type)
    if info is None:
        raise UnknownEventType(event_type)
    return info


def domain_of(event_type: str) -> str:
    return type_info(event_type).domain


def pii_fields(event_type: str) -> tuple[PiiField, ...]:
    type_info(event_type)
    return _contracts().pii_fields[event_type]


def catalogue() -> SchemaCatalogue:
    return _contracts().catalogue


def compile_fast_validator(
    schema: dict[str, Any], handlers: dict[str, Callable[[str], Any]]
) -> FastValidator:
    """fastjsonschema.compile(schema), with the element names built by f-strings (same text, same errors)."""
    code = _FORMAT_WITH_LOCALS.sub(
        r'f"\1"', fastjsonschema.compile_to_code(schema, handlers=handlers)
    )
    namespace: dict[str, Any] = {}
    # Code generated from our own schemas, run as fastjsonschema.compile runs it; the root function comes first.
    exec(code, namespace)  # noqa: S102
    first = _FIRST_FUNCTION.search(code)
    assert first is not None, "fastjsonschema generated no function"
    validator: FastValidator = namespace[first.group(1)]
    return validator


@functools.cache
def _contracts() -> _Contracts:
    return _Contracts(load_catalogue())


class _Contracts:
    def __init__(self, catalogue: SchemaCatalogue) -> None:
        self.catalogue = catalogue
        self.pii_fields = {
            event_type: find_pii_fields(catalogue, name.schema_id)
            for event_type, name in catalogue.types.items()
        }
        self.infos = {event_type: self._info(event_type) for event_type in catalogue.types}
        self._fast: dict[str, FastValidator] = {}
        self._strict: dict[str, StrictCheck | None] = {}
        self._registry: Registry = Registry().with_resources(
            (schema_id, Resource(contents=schema, specification=DRAFT202012))
            for schema_id, schema in catalogue.schemas_by_id.items()
        )

    def _info(self, event_type: str) -> EventTypeInfo:
        name = self.catalogue.types[event_type]
        title_zh, title_en = split_title(self.catalogue.data_schema(event_type))
        return EventTypeInfo(
            type=event_type,
            domain=name.domain,
            name=name.name,
            major=name.major,
            schema_id=name.schema_id,
            title_zh=title_zh,
            title_en=title_en,
            pii_paths=tuple(field.path for field in self.pii_fields[event_type]),
        )

    def validate(self, event: dict[str, Any]) -> None:
        event_type = event.get("type") if isinstance(event, dict) else None
        if isinstance(event_type, str) and event_type in self.infos:
            check = self.strict_check(event_type)
            if check is not None and check(event):
                return
        try:
            self._fast_validator(ENVELOPE_SCHEMA_ID)(event)
        except fastjsonschema.JsonSchemaValueException as exc:
            violations = self._explain(ENVELOPE_SCHEMA_ID, event, "", exc)
            if (
                isinstance(event, dict)
                and isinstance(event.get("type"), str)
                and event["type"] not in self.infos
            ):
                violations += UnknownEventType(event["type"]).violations
            raise ContractViolation(violations) from None
        info = self.infos.get(event["type"])
        if info is None:
            raise UnknownEventType(event["type"])
        if event["dataschema"] != info.schema_id:
            raise ContractViolation(
                [
                    Violation(
                        "dataschema",
                        "dataschema",
                        f"数据模式与类型不符 / dataschema must be {info.schema_id} for type {info.type}",
                    )
                ]
            )
        try:
            self._fast_validator(info.schema_id)(event["data"])
        except fastjsonschema.JsonSchemaValueException as exc:
            raise ContractViolation(
                self._explain(info.schema_id, event["data"], "data", exc)
            ) from None

    def strict_check(self, event_type: str) -> StrictCheck | None:
        """The msgspec check of a whole event of ``event_type`` (None: the schemas use something
        it cannot express, and fastjsonschema alone decides)."""
        if event_type not in self._strict:
            self._strict[event_type] = self._compile_strict(self.infos[event_type])
        return self._strict[event_type]

    def _compile_strict(self, info: EventTypeInfo) -> StrictCheck | None:
        envelope = self.catalogue.schemas_by_id[ENVELOPE_SCHEMA_ID]
        # Stricter than the envelope, never looser: the anyOf (schoolid, or districtid on an alert)
        # becomes schoolid required, and data must satisfy the type's own schema.
        event_schema = {
            **{key: value for key, value in envelope.items() if key != "anyOf"},
            "required": [*envelope["required"], "schoolid"],
            "properties": {**envelope["properties"], "data": {"$ref": info.schema_id}},
        }
        try:
            compiled = compile_schema(
                event_schema,
                self._registry.resolver(base_uri=ENVELOPE_SCHEMA_ID),
                narrow={"type": info.type, "dataschema": info.schema_id},
            )
        except Unsupported:
            return None
        return strict_check(compiled)

    def _fast_validator(self, schema_id: str) -> FastValidator:
        validator = self._fast.get(schema_id)
        if validator is None:
            validator = compile_fast_validator(
                self.catalogue.schemas_by_id[schema_id], handlers={"https": self._schema_by_uri}
            )
            self._fast[schema_id] = validator
        return validator

    def _schema_by_uri(self, uri: str) -> dict[str, Any]:
        return self.catalogue.schemas_by_id[uri]

    def _explain(
        self,
        schema_id: str,
        instance: Any,
        prefix: str,
        fast_error: fastjsonschema.JsonSchemaValueException,
    ) -> list[Violation]:
        validator = Draft202012Validator(
            self.catalogue.schemas_by_id[schema_id], registry=self._registry
        )
        violations = to_violations(validator.iter_errors(instance), prefix)
        if violations:
            return violations
        # Both validators implement the same schema; should they ever disagree, the event is still rejected.
        return [
            Violation(prefix, fast_error.rule or "schema", f"不符合契约 / {fast_error.message}")
        ]
