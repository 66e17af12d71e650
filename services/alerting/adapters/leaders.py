"""School leaders from a YAML file, for conflict-of-interest routing.

# leaders.yaml: school id → role → pseudonym of the person in that role
"500102001":
  principal: pn:4c1f0e2a9b7d6c5e8f3a2b1c0d9e8f7a
  party_secretary: pn:0a1b2c3d4e5f60718293a4b5c6d7e8f9
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import yaml

from services.alerting.errors import InvalidPolicy

_PSEUDONYM = re.compile(r"pn:[0-9a-f]{32}")


class StaticLeadersDirectory:
    def __init__(self, roles_by_school: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """``roles_by_school``: school id → role → pseudonym."""
        self._by_school = {
            school: MappingProxyType({person: role for role, person in roles.items()})
            for school, roles in (roles_by_school or {}).items()
        }

    def leaders_of(self, school_id: str) -> Mapping[str, str]:
        return self._by_school.get(school_id, MappingProxyType({}))


def load_leaders_file(path: Path) -> StaticLeadersDirectory:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidPolicy(
            f"无法读取学校领导名单 / cannot read the leaders file {path}: {exc}"
        ) from exc
    if not isinstance(content, dict):
        raise InvalidPolicy(
            f"学校领导名单格式错误 / {path}: expected a mapping of school id → role → pseudonym"
        )
    roles_by_school: dict[str, dict[str, str]] = {}
    for school, roles in content.items():
        if not isinstance(roles, dict):
            raise InvalidPolicy(f"{path}: school {school}: expected role: pseudonym pairs")
        for role, person in roles.items():
            if not (isinstance(person, str) and _PSEUDONYM.fullmatch(person)):
                raise InvalidPolicy(
                    f"{path}: 学校 {school} 的 {role} 须为假名 / school {school}, {role}: give the pseudonym (pn:<32 hex>), "
                    "never a name or id number"
                )
        roles_by_school[str(school)] = {str(role): person for role, person in roles.items()}
    return StaticLeadersDirectory(roles_by_school)
