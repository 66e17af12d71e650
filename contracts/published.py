"""The lock of published schemas (contracts/published/) and the check against it.

``qinglian contracts lock`` copies the current schemas into the lock once they
are compatible with what was published before; the compatibility test compares
the working schemas with the lock on every run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from contracts.catalogue import load_catalogue
from contracts.compat import Incompatibility, check_catalogue
from contracts.errors import IncompatibleSchemaChange
from contracts.naming import SCHEMA_DIR

PUBLISHED_DIR = Path(__file__).resolve().parent / "published"


def published_incompatibilities(
    schema_dir: Path = SCHEMA_DIR, published_dir: Path = PUBLISHED_DIR
) -> list[Incompatibility]:
    if not any(published_dir.rglob("*.schema.json")):
        return []
    return check_catalogue(load_catalogue(published_dir), load_catalogue(schema_dir))


def lock(schema_dir: Path = SCHEMA_DIR, published_dir: Path = PUBLISHED_DIR) -> list[Path]:
    """Copy every schema into the lock; refuses (IncompatibleSchemaChange) if any change is incompatible."""
    incompatibilities = published_incompatibilities(schema_dir, published_dir)
    if incompatibilities:
        listing = "; ".join(str(item) for item in incompatibilities)
        raise IncompatibleSchemaChange(
            f"与已发布模式不兼容，需新建主版本类型 / incompatible with the published schemas, "
            f"publish a new major type instead (see contracts/EVOLUTION.md): {listing}"
        )
    written = []
    for source in sorted(schema_dir.rglob("*.schema.json")):
        target = published_dir / source.relative_to(schema_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written
