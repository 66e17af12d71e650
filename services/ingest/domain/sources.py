"""Registered source systems: who may push, with which keys, for which event types and schools.

A source that pushes has one or two active signing keys, so a secret can be
rotated without downtime: add the new key, move the sender over, remove the old
key. A source that is only pulled (``may_push=False``: a pull connector, or a
system registered for its permissions alone) signs nothing and needs no key; the
push API refuses it. Event types and school ids are shell-style patterns
(``cn.edu.qinglian.finance.*``, ``*``), so a district finance platform can be
registered for every school at once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

MAX_ACTIVE_KEYS = 2
# Answers remembered per (value, patterns): event types and school ids are bounded sets, and
# every event of a push batch asks about both.
PERMISSION_ANSWERS_REMEMBERED = 65_536


class SourceDefinitionError(ValueError):
    """A source definition is inconsistent; the message names the source and the field."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    key_id: str
    secret: bytes

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class SourceSystem:
    source_id: str
    keys: tuple[SigningKey, ...]
    event_types: tuple[str, ...]
    school_ids: tuple[str, ...]
    name: str = ""
    may_push: bool = True

    def __post_init__(self) -> None:
        if not self.source_id:
            raise SourceDefinitionError("a source needs a non-empty id")
        if len(self.keys) > MAX_ACTIVE_KEYS:
            raise SourceDefinitionError(
                f"source '{self.source_id}' has {len(self.keys)} keys; "
                f"at most {MAX_ACTIVE_KEYS} are active at once (rotation)"
            )
        if self.may_push and not self.keys:
            raise SourceDefinitionError(
                f"source '{self.source_id}' pushes, so it needs 1 or {MAX_ACTIVE_KEYS} signing keys; "
                "add a key, or set push: false for a source that is only pulled"
            )
        if len({key.key_id for key in self.keys}) != len(self.keys):
            raise SourceDefinitionError(f"source '{self.source_id}' has two keys with the same id")
        if any(not key.secret for key in self.keys):
            raise SourceDefinitionError(f"source '{self.source_id}' has an empty key secret")
        if not self.event_types:
            raise SourceDefinitionError(f"source '{self.source_id}' lists no event types")
        if not self.school_ids:
            raise SourceDefinitionError(f"source '{self.source_id}' lists no school ids")

    def key(self, key_id: str) -> SigningKey | None:
        return next((key for key in self.keys if key.key_id == key_id), None)

    def may_publish_type(self, event_type: str) -> bool:
        return _matches_any(event_type, self.event_types)

    def may_publish_school(self, school_id: str) -> bool:
        return _matches_any(school_id, self.school_ids)


@functools.lru_cache(maxsize=PERMISSION_ANSWERS_REMEMBERED)
def _matches_any(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(value, pattern) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class SourceRegistry:
    sources: Mapping[str, SourceSystem]

    @classmethod
    def of(cls, sources: Iterable[SourceSystem]) -> SourceRegistry:
        by_id: dict[str, SourceSystem] = {}
        for source in sources:
            if source.source_id in by_id:
                raise SourceDefinitionError(f"source '{source.source_id}' is defined twice")
            by_id[source.source_id] = source
        return cls(by_id)

    def get(self, source_id: str) -> SourceSystem | None:
        return self.sources.get(source_id)

    def __len__(self) -> int:
        return len(self.sources)
