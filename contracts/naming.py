"""How event types, schema ids and schema files are named, in one place.

type       cn.edu.qinglian.<domain>.<name>.v<major>
schema id  https://contracts.qinglian.edu.cn/<domain>/<name>.v<major>.schema.json
file       contracts/schemas/<domain>/<name>.v<major>.schema.json
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TYPE_PREFIX = "cn.edu.qinglian"
SCHEMA_BASE_URI = "https://contracts.qinglian.edu.cn/"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ENVELOPE_SCHEMA_ID = f"{SCHEMA_BASE_URI}envelope.schema.json"
COMMON_SCHEMA_ID = f"{SCHEMA_BASE_URI}common.schema.json"

_TYPE = re.compile(
    r"^cn\.edu\.qinglian\.(?P<domain>[a-z][a-z_]*)\.(?P<name>[a-z][a-z_]*)\.v(?P<major>[1-9][0-9]*)$"
)
_FILE = re.compile(r"^(?P<name>[a-z][a-z_]*)\.v(?P<major>[1-9][0-9]*)\.schema\.json$")


@dataclass(frozen=True, slots=True)
class TypeName:
    domain: str
    name: str
    major: int

    @property
    def event_type(self) -> str:
        return f"{TYPE_PREFIX}.{self.domain}.{self.name}.v{self.major}"

    @property
    def relative_path(self) -> str:
        return f"{self.domain}/{self.name}.v{self.major}.schema.json"

    @property
    def schema_id(self) -> str:
        return f"{SCHEMA_BASE_URI}{self.relative_path}"


def parse_type(event_type: str) -> TypeName | None:
    match = _TYPE.match(event_type)
    if match is None:
        return None
    return TypeName(match["domain"], match["name"], int(match["major"]))


def parse_schema_path(path: Path, root: Path = SCHEMA_DIR) -> TypeName | None:
    """The type a data schema file defines, from its place under ``root``; None for shared files."""
    match = _FILE.match(path.name)
    if match is None or path.parent.parent != root:
        return None
    return TypeName(path.parent.name, match["name"], int(match["major"]))
