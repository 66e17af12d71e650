"""Keeping clear person identifiers out of Kafka.

Valid events are pseudonymized exactly where their contract marks PII. A rejected
payload is pseudonymized the same way when its type is known; when it is not (or
it is not even an object), every value under a field name that is PII in some
contract (``id_number``, ``name``, ``staff_id``…) is pseudonymized instead. That
over-redacts (a vendor's ``name`` too) on purpose: an operator fixing a dead
letter gets the clear values back from the sender, not from Kafka.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from contracts import registry
from contracts.errors import UnknownEventType
from contracts.pii import is_pseudonym, pseudonym, pseudonymize
from contracts.pii_fields import ARRAY_ITEMS


@dataclass(frozen=True, slots=True)
class Pseudonymizer:
    key: bytes = field(repr=False)

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        return pseudonymize(event, self.key)

    def payload(self, item: object) -> object:
        if isinstance(item, dict) and isinstance(item.get("type"), str):
            try:
                return pseudonymize(item, self.key)
            except UnknownEventType:
                pass
        return self._sweep(item)

    def _sweep(self, node: object, kind: str | None = None) -> object:
        if isinstance(node, dict):
            return {
                name: self._sweep(value, pii_kinds_by_field_name().get(name))
                for name, value in node.items()
            }
        if isinstance(node, list):
            return [self._sweep(value, kind) for value in node]
        if isinstance(node, str) and kind is not None and not is_pseudonym(node):
            return pseudonym(kind, node, self.key)
        return node


@functools.cache
def pii_kinds_by_field_name() -> dict[str, str]:
    """Field name → PII kind, over every published contract."""
    kinds: dict[str, str] = {}
    for info in registry.event_types():
        for pii_field in registry.pii_fields(info.type):
            names = [segment for segment in pii_field.segments if segment != ARRAY_ITEMS]
            if names:
                kinds.setdefault(names[-1], pii_field.kind)
    return kinds
