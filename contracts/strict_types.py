"""JSON Schemas compiled into msgspec types that admit only instances the schema admits.

The validator's fast path: ``msgspec.convert`` checks a valid event in a few microseconds,
where fastjsonschema's generated Python takes about twenty. The compiled type is at least
as strict as its schema, never looser: whatever it refuses, or cannot express, is checked
again by the schema validators, which decide and explain. So a construct msgspec cannot
express either becomes a stricter type (an envelope must carry ``schoolid``) or makes the
whole schema ``Unsupported`` (it then has no fast path).

Supported: ``type`` (one or a list), ``enum``, ``const``, ``minLength``, ``maxLength``,
``pattern``, ``minimum``, ``maximum``, ``items``, ``minItems``, ``maxItems``,
``properties``, ``required``, ``additionalProperties`` (false, or a schema without
``properties``), ``anyOf`` and ``$ref``; annotations are ignored. msgspec's rules agree
with JSON Schema's where it matters here: lengths count code points, patterns are
``re.search``, booleans are not numbers, and strict conversion never coerces.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

if TYPE_CHECKING:
    from referencing._core import Resolver  # what Registry.resolver() returns; not exported

StrictCheck = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "title", "description", "examples", "default", "$comment"}
)
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum"})
_ARRAY_KEYWORDS = frozenset({"items", "minItems", "maxItems"})
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties"})
_KEYWORDS_OF = {
    "string": _STRING_KEYWORDS,
    "integer": _NUMBER_KEYWORDS,
    "number": _NUMBER_KEYWORDS,
    "array": _ARRAY_KEYWORDS,
    "object": _OBJECT_KEYWORDS,
}
_KNOWN = (
    _ANNOTATIONS
    | _STRING_KEYWORDS
    | _NUMBER_KEYWORDS
    | _ARRAY_KEYWORDS
    | _OBJECT_KEYWORDS
    | {"type", "enum", "const", "anyOf", "$ref"}
)
_names = itertools.count()


class Unsupported(ValueError):
    """The schema uses something the fast path cannot express; it keeps the schema validators only."""


def strict_check(compiled: object) -> StrictCheck:
    """True when ``instance`` certainly satisfies the schema ``compiled`` came from; False: ask the schema."""

    def check(instance: Any) -> bool:
        try:
            msgspec.convert(instance, compiled)
        except msgspec.ValidationError:
            return False
        return True

    return check


def compile_schema(
    schema: Mapping[str, Any], resolver: Resolver, *, narrow: Mapping[str, Any] | None = None
) -> object:
    """The msgspec type of ``schema`` (an object schema), its ``$ref``s resolved by ``resolver``.

    ``narrow`` pins top-level properties to one value each (e.g. an envelope's ``type``); each
    value must satisfy its property's own schema, checked here.
    """
    compiled = _Compiler(resolver).object_type(schema, narrow or {})
    try:  # msgspec checks a type's shape (e.g. its unions) on first use
        msgspec.convert({}, compiled)
    except msgspec.ValidationError:
        pass
    except TypeError as exc:
        raise Unsupported(f"msgspec cannot express the schema: {exc}") from exc
    return compiled


class _Compiler:
    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver

    def type_of(self, schema: Mapping[str, Any] | bool) -> Any:
        if schema is True:
            return Any
        if not isinstance(schema, Mapping):
            raise Unsupported("a schema that admits nothing")
        keywords = _meaningful(schema)
        if not keywords:
            return Any
        if keywords - _KNOWN:
            raise Unsupported(f"keywords {sorted(keywords - _KNOWN)}")
        if "$ref" in keywords:
            _only(schema, {"$ref"})
            contents, resolver = self._resolved(schema)
            return _Compiler(resolver).type_of(contents)
        if "anyOf" in keywords:
            _only(schema, {"anyOf"})
            return self._union(schema["anyOf"])
        types = schema.get("type")
        if isinstance(types, list):
            return self._union([_for_type(schema, one) for one in types])
        if "const" in keywords or "enum" in keywords or types == "string":
            return _string(schema)
        if types in ("integer", "number"):
            return _number(schema)
        if types in ("boolean", "null"):
            _only(schema, {"type"})
            return bool if types == "boolean" else None
        if types == "array":
            return self._array(schema)
        if types == "object":
            return self.object_type(schema, {})
        raise Unsupported(f"type {types!r}")

    def object_type(self, schema: Mapping[str, Any], narrow: Mapping[str, Any]) -> Any:
        _only(schema, {"type", *_OBJECT_KEYWORDS})
        if schema.get("type") != "object":
            raise Unsupported("an object schema without type object")
        properties: Mapping[str, Any] = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        if not properties:
            return dict[str, self.type_of(additional)]
        if additional not in (False, True):
            raise Unsupported("properties together with an additionalProperties schema")
        required = set(schema.get("required", ())) | set(narrow)
        if not required <= set(properties):
            raise Unsupported("a required property without a schema")
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for index, (name, property_schema) in enumerate(properties.items()):
            field = f"f{index}"  # property names need not be Python identifiers
            rename[field] = name
            if name in narrow:
                fields.append((field, _narrowed(property_schema, narrow[name])))
            elif name in required:
                fields.append((field, self.type_of(property_schema)))
            else:
                optional = self.type_of(property_schema) | msgspec.UnsetType
                fields.append((field, optional, msgspec.UNSET))
        # gc=False: a checked event's structs are dropped at once and hold no cycles, so the
        # collector need not track them (6 % of a check).
        return msgspec.defstruct(
            f"Strict{next(_names)}",
            fields,
            kw_only=True,
            forbid_unknown_fields=additional is False,
            rename=rename,
            gc=False,
        )

    def _union(self, branches: list[Any]) -> Any:
        """msgspec allows one string type in a union: string branches become one pattern."""
        members: list[Any] = []
        strings: list[Mapping[str, Any]] = []
        for branch in branches:
            contents, resolver = self._resolved(branch)
            if _is_string(contents):
                strings.append(contents)
            else:
                members.append(_Compiler(resolver).type_of(contents))
        if len(strings) == 1:
            members.append(_string(strings[0]))
        elif strings:
            pattern = "|".join(f"(?:{_as_pattern(branch)})" for branch in strings)
            members.append(Annotated[str, msgspec.Meta(pattern=_compiled(pattern))])
        if Any in members:
            return Any
        kinds = [_kind(member) for member in members]
        if len(set(kinds)) < len(kinds):
            # msgspec would keep one of them (or refuse): not the union the schema means.
            raise Unsupported(f"a union of several {sorted(kinds)} types")
        return functools.reduce(operator.or_, members)

    def _resolved(self, schema: Any) -> tuple[Any, Resolver]:
        """``schema`` behind its ``$ref``s, and the resolver for the references inside it."""
        resolver = self._resolver
        while isinstance(schema, Mapping) and "$ref" in schema:
            _only(schema, {"$ref"})
            resolved = resolver.lookup(schema["$ref"])
            schema, resolver = resolved.contents, resolved.resolver
        return schema, resolver

    def _array(self, schema: Mapping[str, Any]) -> Any:
        _only(schema, {"type", *_ARRAY_KEYWORDS})
        items = self.type_of(schema.get("items", True))
        bounds = _bounds(schema, min_length="minItems", max_length="maxItems")
        return Annotated[list[items], msgspec.Meta(**bounds)] if bounds else list[items]


def _kind(member: Any) -> str:
    """What msgspec tells a union's members apart by: the JSON type."""
    if typing.get_origin(member) is Annotated:
        member = typing.get_args(member)[0]
    if typing.get_origin(member) is Literal or member is str:
        return "string"
    if member is None:
        return "null"
    if isinstance(member, type) and issubclass(member, msgspec.Struct):
        return "object"
    origin = typing.get_origin(member) or member
    return {int: "integer", float: "number", bool: "boolean", list: "array", dict: "object"}[origin]


def _for_type(schema: Mapping[str, Any], json_type: str) -> dict[str, Any]:
    """The part of a multi-type schema that applies to one of its types (the others' keywords
    do not constrain it)."""
    foreign = set().union(*_KEYWORDS_OF.values()) - _KEYWORDS_OF.get(json_type, set())
    return {
        **{key: value for key, value in schema.items() if key not in foreign},
        "type": json_type,
    }


def _meaningful(schema: Mapping[str, Any]) -> set[str]:
    return {
        keyword
        for keyword in schema
        if keyword not in _ANNOTATIONS and not keyword.startswith("x-")
    }


def _only(schema: Mapping[str, Any], allowed: set[str]) -> None:
    extra = _meaningful(schema) - allowed
    if extra:
        raise Unsupported(f"keywords {sorted(extra)} beside {sorted(allowed)}")


def _bounds(schema: Mapping[str, Any], **names: str) -> dict[str, Any]:
    return {meta: schema[keyword] for meta, keyword in names.items() if keyword in schema}


def _is_string(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if values is not None:
        return all(isinstance(value, str) for value in values)
    return schema.get("type") == "string"


def _string(schema: Mapping[str, Any]) -> Any:
    if "const" in schema or "enum" in schema:
        _only(schema, {"type", "const", "enum"})
        values = [schema["const"]] if "const" in schema else list(schema["enum"])
        if schema.get("type", "string") != "string" or not all(isinstance(v, str) for v in values):
            raise Unsupported("an enum or const that is not all strings")
        return Literal[tuple(values)]
    _only(schema, {"type", *_STRING_KEYWORDS})
    meta = _bounds(schema, min_length="minLength", max_length="maxLength")
    if "pattern" in schema:
        meta["pattern"] = _compiled(schema["pattern"])
    return Annotated[str, msgspec.Meta(**meta)] if meta else str


def _as_pattern(schema: Mapping[str, Any]) -> str:
    """One string branch of a union as a regular expression searched in the value."""
    if "const" in schema or "enum" in schema:
        _only(schema, {"type", "const", "enum"})
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return r"\A(?:" + "|".join(re.escape(value) for value in values) + r")\Z"
    _only(schema, {"type", *_STRING_KEYWORDS})
    lengths = _bounds(schema, low="minLength", high="maxLength")
    if "pattern" in schema and lengths:
        raise Unsupported("a union branch with both a pattern and a length")
    if "pattern" in schema:
        return _compiled(schema["pattern"])
    return rf"\A[\s\S]{{{lengths.get('low', 0)},{lengths.get('high', '')}}}\Z"


def _compiled(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise Unsupported(f"pattern {pattern!r}: {exc}") from exc
    return pattern


def _number(schema: Mapping[str, Any]) -> Any:
    _only(schema, {"type", *_NUMBER_KEYWORDS})
    kind = int if schema["type"] == "integer" else float
    meta = _bounds(schema, ge="minimum", le="maximum")
    if meta and kind is float:
        # msgspec compares a large integer as a float: 2**53 + 1 would pass a maximum of 2**53.
        raise Unsupported("bounds on a number (not an integer)")
    return Annotated[kind, msgspec.Meta(**meta)] if meta else kind


def _narrowed(schema: Any, value: str) -> Any:
    """``Literal[value]`` for a property whose schema (plain, no references) admits ``value``."""
    if not isinstance(schema, Mapping) or not _is_string(schema) or not isinstance(value, str):
        raise Unsupported("only plain string properties can be narrowed")
    if "const" in schema or "enum" in schema:
        admitted = value in ([schema["const"]] if "const" in schema else schema["enum"])
    else:
        _only(schema, {"type", *_STRING_KEYWORDS})
        admitted = (
            schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
            and re.search(schema.get("pattern", ""), value) is not None
        )
    if not admitted:
        raise Unsupported(f"{value!r} does not satisfy its property's schema")
    return Literal[value]
