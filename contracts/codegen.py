"""Derive contracts/types.py (TypedDicts and StrEnums) from the JSON Schema files.

    python -m contracts.codegen        # or: qinglian contracts generate

The schemas are the single source of truth; types.py is generated and
committed, and a test regenerates it in memory and fails if the two differ.
Shared definitions in common.schema.json become named aliases or TypedDicts;
every data schema becomes ``<Domain><Name>V<major>``, its nested objects and
enums are named after the path to them.

An ``enum`` that services also use as Python values (an alert's severity,
risk area, subject kind) names its class with ``"x-qinglian-enum": "<Name>"``
and becomes ``class <Name>(StrEnum)``, one member per value (``"red"`` →
``RED``), so no service writes the list a second time. Schemas giving the same
name (a later major, say) share one class holding every value of them all.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from contracts.catalogue import Schema, SchemaCatalogue, load_catalogue
from contracts.errors import ContractError
from contracts.naming import COMMON_SCHEMA_ID

ENUM_KEYWORD = "x-qinglian-enum"
TYPES_FILE = Path(__file__).resolve().parent / "types.py"
_LINE_LENGTH = 100
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}

_HEADER = '''"""Typed views of every event's data, generated from contracts/schemas/ — do not edit.

Regenerate with `qinglian contracts generate` (or `python -m contracts.codegen`).
Annotations are evaluated (no `from __future__ import annotations`) so that
TypedDict sees NotRequired; every name is defined before it is used.
"""

from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict
'''


def class_name(*parts: str) -> str:
    return "".join(word.capitalize() for part in parts for word in part.split("_"))


def data_class_name(domain: str, name: str, major: int) -> str:
    return f"{class_name(domain, name)}V{major}"


def render_types(catalogue: SchemaCatalogue) -> str:
    renderer = _Renderer(catalogue)
    common = catalogue.schemas_by_id[COMMON_SCHEMA_ID]
    for definition in common["$defs"]:
        renderer.common_name(definition)
    data_classes: list[tuple[str, str]] = []
    for event_type, type_name in catalogue.types.items():
        name = data_class_name(type_name.domain, type_name.name, type_name.major)
        renderer.object_class(type_name.schema_id, catalogue.data_schema(event_type), name)
        data_classes.append((event_type, name))
    types_tuple = "".join(f"    {json.dumps(event_type)},\n" for event_type, _ in data_classes)
    mapping = "".join(
        f"    {json.dumps(event_type)}: {name},\n" for event_type, name in data_classes
    )
    footer = (
        f"EVENT_TYPES: tuple[str, ...] = (\n{types_tuple})\n\n"
        f"DATA_TYPES: dict[str, type[Any]] = {{\n{mapping}}}\n"
    )
    return "\n\n".join([_HEADER, *renderer.str_enums(), *renderer.blocks, footer])


class _Renderer:
    def __init__(self, catalogue: SchemaCatalogue) -> None:
        self.catalogue = catalogue
        self.blocks: list[str] = []
        self._common: dict[str, str] = {}
        self._named_enums: dict[str, tuple[Schema, list[str]]] = {}

    def common_name(self, definition: str) -> str:
        if definition not in self._common:
            node = self.catalogue.schemas_by_id[COMMON_SCHEMA_ID]["$defs"][definition]
            name = class_name(definition)
            self._common[definition] = name
            if node.get("type") == "object" and "properties" in node:
                self.object_class(COMMON_SCHEMA_ID, node, name)
            else:
                self._alias(name, self.annotation(COMMON_SCHEMA_ID, node, name, alias_enums=False))
        return self._common[definition]

    def object_class(self, base_uri: str, node: Schema, name: str) -> str:
        required = set(node.get("required", ()))
        lines = []
        for field, child in node["properties"].items():
            annotation = self.annotation(base_uri, child, f"{name}{class_name(field)}")
            lines.append(
                f"    {field}: {annotation if field in required else f'NotRequired[{annotation}]'}"
            )
        self.blocks.append(
            f"class {name}(TypedDict):\n{_docstring(node)}" + "\n".join(lines) + "\n"
        )
        return name

    def annotation(
        self, base_uri: str, node: Schema, hint: str, *, alias_enums: bool = True
    ) -> str:
        if "$ref" in node:
            return self._reference(base_uri, node["$ref"], hint)
        if "const" in node:
            return f"Literal[{json.dumps(node['const'], ensure_ascii=False)}]"
        if "enum" in node:
            if ENUM_KEYWORD in node:
                self._name_enum(node)
            return self._enum(node["enum"], hint if alias_enums else None)
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                return _union(self.annotation(base_uri, branch, hint) for branch in node[keyword])
        kinds = node.get("type")
        if isinstance(kinds, list):
            return _union(self.annotation(base_uri, {**node, "type": kind}, hint) for kind in kinds)
        if kinds == "object":
            return (
                self.object_class(base_uri, node, hint)
                if "properties" in node
                else "dict[str, Any]"
            )
        if kinds == "array":
            return f"list[{self.annotation(base_uri, node['items'], f'{hint}Item')}]"
        return _SCALARS.get(kinds, "Any")

    def _reference(self, base_uri: str, ref: str, hint: str) -> str:
        target_base, target = self.catalogue.resolve(base_uri, ref)
        prefix = "#/$defs/"
        fragment = ref[ref.index("#") :] if "#" in ref else ""
        if target_base == COMMON_SCHEMA_ID and fragment.startswith(prefix):
            return self.common_name(fragment.removeprefix(prefix))
        return self.annotation(target_base, target, hint)

    def _enum(self, values: list[Any], alias: str | None) -> str:
        literal = _literal([value for value in values if value is not None])
        if alias is not None:
            self._alias(alias, literal)
            literal = alias
        return _union([literal, "None"]) if None in values else literal

    def _alias(self, name: str, annotation: str) -> None:
        self.blocks.append(f"{name} = {annotation}\n")

    def _name_enum(self, node: Schema) -> None:
        name = node[ENUM_KEYWORD]
        _, values = self._named_enums.setdefault(name, (node, []))
        for value in node["enum"]:
            if not (isinstance(value, str) and value.isidentifier()):
                raise ContractError(
                    f"枚举值不能作为 Python 名称 / {ENUM_KEYWORD} {name}: value {value!r} is not an identifier, "
                    "so it cannot become a StrEnum member; drop the keyword or change the value"
                )
            if value not in values:
                values.append(value)

    def str_enums(self) -> list[str]:
        """``class <Name>(StrEnum)`` for every enum named with ENUM_KEYWORD, in the order first met."""
        return [
            f"class {name}(StrEnum):\n{_docstring(node)}"
            + "".join(f"    {value.upper()} = {json.dumps(value)}\n" for value in values)
            for name, (node, values) in self._named_enums.items()
        ]


def _literal(values: list[Any]) -> str:
    items = [json.dumps(value, ensure_ascii=False) for value in values]
    one_line = f"Literal[{', '.join(items)}]"
    if len(one_line) <= _LINE_LENGTH - 30:
        return one_line
    return "Literal[\n" + "".join(f"    {item},\n" for item in items) + "]"


def _union(annotations: Any) -> str:
    unique = list(dict.fromkeys(annotations))
    return " | ".join(unique)


def _docstring(node: Schema) -> str:
    paragraphs = [
        textwrap.fill(
            part.replace("\\", "\\\\").replace('"', "'"),
            width=_LINE_LENGTH - 8,
            subsequent_indent="    ",
        )
        for part in (node.get("title"), node.get("description"))
        if part
    ]
    if not paragraphs:
        return ""
    closing = "\n    " if len(paragraphs) > 1 or "\n" in paragraphs[0] else ""
    return '    """' + "\n\n    ".join(paragraphs) + closing + '"""\n\n'


def write_types(catalogue: SchemaCatalogue | None = None, path: Path = TYPES_FILE) -> Path:
    path.write_text(render_types(catalogue or load_catalogue()), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_types()}")
