"""An injected anomaly as the activities see it: which rule, where, when, which flavour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Injection:
    rule_id: str
    school_index: int
    day: date
    variant: int = 0
    """Which way to break the rule, when there are several (e.g. one inspector, or the purchaser inspecting)."""
    partner_index: int | None = None
    """Another school involved (a student registered at two schools)."""
