"""Rule parameters: frozen dataclasses whose defaults are the catalogue's values.

Values from the rules file are coerced by the field's annotation. Supported
types: ``int``, ``bool``, ``str``, ``Decimal``, ``Decimal | None``, ``int | None``,
``tuple[str, ...]`` and ``tuple[tuple[str, int], ...]`` (a table of names to whole numbers).
Numbers are never negative: every numeric parameter is a count, an amount, a ratio, a
duration or an hour, and a negative one (say ``retention_days = -1``) would silently
make a rule drop its state at once or fire on everything.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from services.detectors.errors import RulesConfigError


def parameter_fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def build_parameters(rule_id: str, cls: type, overrides: Mapping[str, Any]) -> Any:
    fields = parameter_fields(cls)
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise RulesConfigError(
            f"rules.{rule_id}.parameters.{unknown[0]}: 未知参数 / unknown parameter; "
            f"known: {', '.join(fields) or '(none)'}"
        )
    values = {name: _coerce(rule_id, name, fields[name], raw) for name, raw in overrides.items()}
    try:
        return cls(**values)
    except ValueError as exc:
        raise RulesConfigError(f"rules.{rule_id}.parameters: {exc}") from exc


def parameters_as_json(params: Any) -> dict[str, Any]:
    """Parameters as JSON types, in the shape the rules file writes them."""
    return {
        name: _to_json(annotation, getattr(params, name))
        for name, annotation in parameter_fields(type(params)).items()
    }


def _to_json(annotation: Any, value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if annotation == tuple[tuple[str, int], ...]:
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _coerce(rule_id: str, name: str, annotation: Any, raw: Any) -> Any:
    where = f"rules.{rule_id}.parameters.{name}"
    try:
        value = _coerce_value(annotation, raw)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise RulesConfigError(
            f"{where}: {raw!r} 不合法 / invalid for type {_type_name(annotation)}"
        ) from exc
    if any(number < 0 for number in _numbers(value)):
        raise RulesConfigError(f"{where}: {raw!r} 不能为负数 / must not be negative")
    return value


def _numbers(value: Any) -> list[int | Decimal]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | Decimal):
        return [value]
    if isinstance(value, tuple):
        return [number for item in value for number in _numbers(item)]
    return []


def _coerce_value(annotation: Any, raw: Any) -> Any:
    if annotation is bool:
        if not isinstance(raw, bool):
            raise TypeError(raw)
        return raw
    if annotation is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError(raw)
        return raw
    if annotation is str:
        if not isinstance(raw, str):
            raise TypeError(raw)
        return raw
    if annotation is Decimal:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise TypeError(raw)
        value = Decimal(str(raw))
        if not value.is_finite():
            raise ValueError(raw)
        return value
    if annotation in (Decimal | None, int | None):
        return None if raw is None else _coerce_value(annotation.__args__[0], raw)
    if annotation == tuple[str, ...]:
        if not isinstance(raw, list):
            raise TypeError(raw)
        return tuple(_coerce_value(str, item) for item in raw)
    if annotation == tuple[tuple[str, int], ...]:
        if not isinstance(raw, Mapping):
            raise TypeError(raw)
        return tuple((str(key), _coerce_value(int, value)) for key, value in raw.items())
    raise TypeError(f"unsupported parameter type {annotation}")


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation)
