"""Backward-compatibility checks between a published schema and its new version.

A change is backward compatible when every event valid under the old schema is
still valid under the new one and means the same thing (see EVOLUTION.md).
The check is structural and deliberately conservative: anything it cannot prove
to be a widening (a changed pattern, a changed $ref) is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts.catalogue import Schema, SchemaCatalogue
from contracts.pii_fields import PII_KEYWORD

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


@dataclass(frozen=True, slots=True)
class Incompatibility:
    schema_id: str
    path: str  # where in the data, e.g. "lines[].quantity"; "" for the whole document
    kind: str  # removed_property, type_changed, required_added, enum_narrowed, …
    message: str

    def __str__(self) -> str:
        return f"{self.schema_id} {self.path or '(root)'}: {self.message}"


def check_backward_compatible(old: Schema, new: Schema) -> list[Incompatibility]:
    """What in ``new`` breaks events valid under ``old`` (both one schema document)."""
    schema_id = str(new.get("$id") or old.get("$id") or "")
    if old.get("$id") != new.get("$id"):
        return [
            _incompatible(schema_id, "", "id_changed", "模式 $id 改变 / the schema's $id changed")
        ]
    found = _compare(schema_id, "", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, definition in old_defs.items():
        path = f"$defs.{name}"
        if name not in new_defs:
            found.append(
                _incompatible(
                    schema_id,
                    path,
                    "removed_definition",
                    "删除了公共定义 / a shared definition was removed",
                )
            )
        else:
            found.extend(_compare(schema_id, path, definition, new_defs[name]))
    return found


def check_catalogue(published: SchemaCatalogue, current: SchemaCatalogue) -> list[Incompatibility]:
    """Every published schema must still exist, stay compatible, and bump x-qinglian-version when it changes."""
    found: list[Incompatibility] = []
    for schema_id, old in published.schemas_by_id.items():
        new = current.schemas_by_id.get(schema_id)
        if new is None:
            found.append(
                _incompatible(
                    schema_id,
                    "",
                    "removed_schema",
                    "已发布的模式被删除 / a published schema was removed; keep it",
                )
            )
            continue
        found.extend(check_backward_compatible(old, new))
        if _without_version(old) != _without_version(new) and not _version_increased(old, new):
            found.append(
                _incompatible(
                    schema_id,
                    "",
                    "version_not_bumped",
                    f"模式已修改但版本号未提升 / the schema changed but x-qinglian-version is still "
                    f"{new.get('x-qinglian-version')}; bump the minor version",
                )
            )
    return found


def _compare(schema_id: str, path: str, old: Schema, new: Schema) -> list[Incompatibility]:
    old_alternatives, new_alternatives = _alternatives(old), _alternatives(new)
    if len(old_alternatives) > 1 or len(new_alternatives) > 1:
        return _compare_alternatives(schema_id, path, old_alternatives, new_alternatives)

    found: list[Incompatibility] = []

    def report(kind: str, message: str) -> None:
        found.append(_incompatible(schema_id, path, kind, message))

    if old.get(PII_KEYWORD) != new.get(PII_KEYWORD):
        report(
            "pii_changed",
            "个人信息标记改变 / the x-qinglian-pii marking changed, so values on Kafka would change",
        )
    if old.get("$ref") != new.get("$ref"):
        report(
            "reference_changed",
            f"引用改变 / $ref changed from {old.get('$ref')} to {new.get('$ref')}",
        )
    if not _types_widened(old.get("type"), new.get("type")):
        report(
            "type_changed", f"类型改变 / type changed from {old.get('type')} to {new.get('type')}"
        )
    if "const" in new and old.get("const", _MISSING) != new["const"]:
        report("const_changed", f"常量改变 / const is now {new['const']!r}")
    if "enum" in new and not set(map(repr, old.get("enum", [_MISSING]))) <= set(
        map(repr, new["enum"])
    ):
        report("enum_narrowed", "枚举收窄 / enum no longer accepts every old value")
    if "pattern" in new and old.get("pattern") != new["pattern"]:
        report("pattern_changed", f"格式改变 / pattern changed to {new['pattern']}")
    for keyword in _LOWER_BOUNDS:
        if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
            report("constraint_narrowed", f"约束收紧 / {keyword} raised to {new[keyword]}")
    for keyword in _UPPER_BOUNDS:
        if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
            report("constraint_narrowed", f"约束收紧 / {keyword} lowered to {new[keyword]}")
    if (
        new.get("additionalProperties") is False
        and old.get("additionalProperties", True) is not False
    ):
        report(
            "additional_properties_closed", "不再允许额外字段 / additionalProperties is now false"
        )
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        found.append(
            _incompatible(
                schema_id,
                _join(path, name),
                "required_added",
                "新增必填字段 / a property became required",
            )
        )
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        if name not in new_properties:
            found.append(
                _incompatible(
                    schema_id,
                    _join(path, name),
                    "removed_property",
                    "删除或重命名了字段 / a property was removed or renamed",
                )
            )
        else:
            found.extend(_compare(schema_id, _join(path, name), old_property, new_properties[name]))
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        found.extend(_compare(schema_id, f"{path}[]", old["items"], new["items"]))
    elif "items" in new and "items" not in old:
        report("constraint_narrowed", "新增数组元素约束 / array items are now constrained")
    return found


def _compare_alternatives(
    schema_id: str, path: str, old_alternatives: list[Schema], new_alternatives: list[Schema]
) -> list[Incompatibility]:
    """anyOf/oneOf (nullable fields, clear-or-pseudonym values): each old branch needs a compatible new one."""
    found: list[Incompatibility] = []
    for old_branch in old_alternatives:
        candidates = [
            _compare(schema_id, path, old_branch, new_branch) for new_branch in new_alternatives
        ]
        best = min(candidates, key=len)
        if best and old_branch.get("type") == "null":
            found.append(
                _incompatible(
                    schema_id, path, "null_removed", "不再允许空值 / null is no longer accepted"
                )
            )
        else:
            found.extend(best)
    return found


def _alternatives(node: Schema) -> list[Schema]:
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            shared = {
                key: value
                for key, value in node.items()
                if key not in (keyword, "description", "title")
            }
            return [_both(shared, branch) for branch in node[keyword]]
    return [node]


def _both(shared: Schema, branch: Schema) -> Schema:
    """One schema for "shared and branch". A branch's keyword replaces the shared one, except
    ``required``, where an event must satisfy both lists: taking only the branch's would hide a
    property the shared part makes required (e.g. the envelope's "schoolid, or else an alert's
    districtid")."""
    merged = {**shared, **branch}
    if "required" in shared and "required" in branch:
        merged["required"] = list(dict.fromkeys([*shared["required"], *branch["required"]]))
    return merged


def _types_widened(old: Any, new: Any) -> bool:
    if new is None:
        return True
    if old is None:
        return False
    old_types = {old} if isinstance(old, str) else set(old)
    new_types = {new} if isinstance(new, str) else set(new)
    if "number" in new_types:
        new_types.add("integer")
    return old_types <= new_types


def _version_increased(old: Schema, new: Schema) -> bool:
    def parts(schema: Schema) -> tuple[int, ...]:
        return tuple(
            int(part) for part in str(schema.get("x-qinglian-version", "0.0.0")).split(".")
        )

    return parts(new) > parts(old)


def _without_version(schema: Schema) -> Schema:
    return {key: value for key, value in schema.items() if key != "x-qinglian-version"}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _incompatible(schema_id: str, path: str, kind: str, message: str) -> Incompatibility:
    return Incompatibility(schema_id=schema_id, path=path, kind=kind, message=message)


_MISSING = object()
