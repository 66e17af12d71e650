"""Where person identifiers sit in an event: the schema nodes marked ``x-qinglian-pii``.

The marker lives on the shared leaf definitions in common.schema.json
(id_number, person_name, phone, student_id, staff_id, bank_account), so every
field that uses one is covered without being marked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.catalogue import Schema, SchemaCatalogue

PII_KEYWORD = "x-qinglian-pii"
PII_KINDS = ("id_number", "person_name", "phone", "student_id", "staff_id", "bank_account")
ARRAY_ITEMS = "[]"


@dataclass(frozen=True, slots=True)
class PiiField:
    """A PII location under ``data``: property names, with ARRAY_ITEMS for "every element"."""

    segments: tuple[str, ...]
    kind: str

    @property
    def path(self) -> str:
        text = "data"
        for segment in self.segments:
            text += segment if segment == ARRAY_ITEMS else f".{segment}"
        return text


def find_pii_fields(catalogue: SchemaCatalogue, schema_id: str) -> tuple[PiiField, ...]:
    found: dict[tuple[str, ...], PiiField] = {}

    def walk(base_uri: str, node: Schema, segments: tuple[str, ...]) -> None:
        if "$ref" in node:
            target_base, target = catalogue.resolve(base_uri, node["$ref"])
            walk(target_base, target, segments)
        if PII_KEYWORD in node:
            found.setdefault(segments, PiiField(segments, node[PII_KEYWORD]))
            return
        for name, child in node.get("properties", {}).items():
            walk(base_uri, child, (*segments, name))
        if isinstance(node.get("items"), dict):
            walk(base_uri, node["items"], (*segments, ARRAY_ITEMS))
        for keyword in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(keyword, ()):
                walk(base_uri, branch, segments)

    walk(schema_id, catalogue.schemas_by_id[schema_id], ())
    return tuple(found.values())
