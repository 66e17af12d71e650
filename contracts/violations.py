"""Turning jsonschema's errors into Violations: precise paths, zh-CN then English.

Messages never repeat the offending value for string patterns: the value may be
a person identifier in clear, and violations end up in the dead-letter topic and
in logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from contracts.errors import Violation

_JSON_TYPES = {
    "object": "对象",
    "array": "数组",
    "string": "字符串",
    "integer": "整数",
    "number": "数字",
    "boolean": "布尔值",
    "null": "空值",
}


def format_path(parts: Iterable[Any], prefix: str = "") -> str:
    text = prefix
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def to_violations(errors: Iterable[ValidationError], prefix: str = "") -> list[Violation]:
    """Every distinct violation, in a stable order (by path, then keyword)."""
    found: dict[tuple[str, str, str], Violation] = {}
    for error in errors:
        for violation in _explain(_most_specific(error), prefix):
            found.setdefault((violation.path, violation.rule, violation.message), violation)
    return sorted(
        found.values(), key=lambda violation: (violation.path, violation.rule, violation.message)
    )


def _most_specific(error: ValidationError) -> ValidationError:
    # anyOf/oneOf (nullable fields, clear-or-pseudonym PII) fail as a whole; the branch that
    # matches the value's type says what is actually wrong.
    while error.validator in ("anyOf", "oneOf") and error.context:
        error = best_match(error.context)
    return error


def _explain(error: ValidationError, prefix: str) -> list[Violation]:
    path = format_path(error.absolute_path, prefix)
    keyword = str(error.validator)
    expected = error.validator_value
    instance = error.instance
    if keyword == "required":
        missing = [name for name in expected if isinstance(instance, dict) and name not in instance]
        return [
            Violation(
                format_path([name], path),
                "required",
                f"缺少必填字段 / missing required field '{name}'",
            )
            for name in missing
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        return [
            Violation(
                format_path([name], path),
                "additionalProperties",
                f"不允许的字段 / unexpected field '{name}'",
            )
            for name in instance
            if name not in allowed
        ]
    return [Violation(path, keyword, _message(keyword, expected, instance))]


def _message(keyword: str, expected: Any, instance: Any) -> str:
    if keyword == "type":
        names = expected if isinstance(expected, list) else [expected]
        return (
            f"类型错误，应为{'或'.join(_JSON_TYPES.get(name, name) for name in names)} / "
            f"wrong type: expected {' or '.join(names)}, got {_json_type(instance)}"
        )
    if keyword == "pattern":
        return f"格式不符 / value does not match the pattern {expected}"
    if keyword == "enum":
        return f"取值不在允许范围内 / {instance!r} is not one of {_listing(expected)}"
    if keyword == "const":
        return f"取值必须为 {expected!r} / value must be {expected!r}"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"数值过小 / value is below the minimum {expected}"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"数值过大 / value is above the maximum {expected}"
    if keyword == "minLength":
        return f"内容过短 / text is shorter than {expected} characters"
    if keyword == "maxLength":
        return f"内容过长 / text is longer than {expected} characters"
    if keyword == "minItems":
        return f"条目过少 / needs at least {expected} item(s)"
    if keyword == "maxItems":
        return f"条目过多 / allows at most {expected} item(s)"
    return f"不符合模式约束 {keyword} / fails the schema keyword {keyword}"


def _json_type(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int):
        return "integer"
    if isinstance(instance, float):
        return "number"
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, list):
        return "array"
    return "object"


def _listing(values: Sequence[Any]) -> str:
    return ", ".join(repr(value) for value in values)
