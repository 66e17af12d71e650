"""Pseudonymizing person identifiers before events reach Kafka.

Every value at an ``x-qinglian-pii`` location under ``data`` becomes
``pn:`` + the first 32 hex digits of HMAC-SHA256(key, "<kind>:<value>"). The
same person gets the same pseudonym in every event and every domain (with one
key), so detectors can still join on it, but nobody without the key can go
back. The kind is part of the message, so a student number and a staff number
that happen to be equal do not collide.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from contracts.pii_fields import ARRAY_ITEMS
from contracts.registry import pii_fields

PSEUDONYM_PREFIX = "pn:"
PSEUDONYM_PATTERN = r"^pn:[0-9a-f]{32}$"
_PSEUDONYM = re.compile(PSEUDONYM_PATTERN)


def is_pseudonym(value: str) -> bool:
    return bool(_PSEUDONYM.fullmatch(value))


def pseudonym(kind: str, value: str, key: bytes) -> str:
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def pseudonymize(event: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of ``event`` with every clear PII value replaced by its pseudonym; raises UnknownEventType.

    Works on invalid events too (ingest pseudonymizes dead letters): a value of the wrong shape at a
    PII location (a number, an object) is replaced as a whole, so nothing there stays in clear.
    """
    result = orjson.loads(orjson.dumps(event))  # a deep copy of JSON data, ~20x faster than copy.deepcopy
    for field in pii_fields(event["type"]):
        for container, name in _locations(result.get("data"), field.segments):
            if _is_clear(container[name]):
                container[name] = pseudonym(field.kind, _as_text(container[name]), key)
    return result


def clear_values(event: dict[str, Any]) -> list[str]:
    """The PII values that are still in clear, as text, in schema order (for tests and log scrubbing)."""
    return [
        _as_text(container[name])
        for field in pii_fields(event["type"])
        for container, name in _locations(event.get("data"), field.segments)
        if _is_clear(container[name])
    ]


def _is_clear(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and is_pseudonym(value))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


Location = tuple[Any, Any]  # (dict or list, key or index) holding one PII value


def _locations(node: Any, segments: tuple[str, ...]) -> Iterator[Location]:
    head, rest = segments[0], segments[1:]
    if head == ARRAY_ITEMS and isinstance(node, list):
        keys: Iterable[Any] = range(len(node))
    elif isinstance(node, dict) and head in node:
        keys = (head,)
    else:
        return
    for key in keys:
        if rest:
            yield from _locations(node[key], rest)
        else:
            yield node, key
