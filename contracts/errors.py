"""Errors raised by the event contracts.

    QinglianError
    └── ContractError              the contracts themselves are unusable (a schema file is missing or malformed)
        ├── ContractViolation      an event breaks its contract; ``violations`` lists every problem
        │   └── UnknownEventType   the event's ``type`` is not a published contract type
        └── IncompatibleSchemaChange  a schema edit breaks the published lock; it needs a new major type

Ingest sends events that raise ContractViolation to the dead-letter topic with
the violations as the reason; nothing else should catch it.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinglian.errors import QinglianError


@dataclass(frozen=True, slots=True)
class Violation:
    """One way an event breaks its contract.

    ``path`` locates the value, e.g. ``data.inspectors[0].staff_id`` (empty for
    the event itself); ``rule`` is the JSON Schema keyword that failed
    (required, type, pattern, enum, additionalProperties, const…); ``message``
    is zh-CN then English.
    """

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(event)'}: {self.message}"


class ContractError(QinglianError):
    pass


class ContractViolation(ContractError):
    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        summary = "; ".join(str(violation) for violation in violations[:5])
        more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"事件不符合契约 / event violates its contract: {summary}{more}")


class UnknownEventType(ContractViolation):
    def __init__(self, event_type: object) -> None:
        self.event_type = event_type
        super().__init__(
            [
                Violation(
                    path="type",
                    rule="type_registry",
                    message=f"未知事件类型 / unknown event type {event_type!r}; see `qinglian contracts list`",
                )
            ]
        )


class IncompatibleSchemaChange(ContractError):
    """A schema change that needs a new major type (see contracts/EVOLUTION.md)."""
