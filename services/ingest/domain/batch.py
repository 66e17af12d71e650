"""The push body: one event (a JSON object), a batch (a JSON array) or NDJSON, within limits."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from services.ingest.errors import BodyTooLarge, UnparseableBody

NDJSON_MEDIA_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_EVENTS = 1000


@dataclass(frozen=True, slots=True)
class BodyLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_events: int = DEFAULT_MAX_EVENTS

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_events < 1:
            raise ValueError("body limits must be positive")


def media_type(content_type: str | None) -> str:
    return (content_type or "application/json").split(";", 1)[0].strip().lower()


def parse_events(body: bytes, content_type: str | None, limits: BodyLimits) -> list[object]:
    """The received items, in order; the whole body is refused if too large or not JSON."""
    check_size(len(body), limits)
    if not body.strip():
        raise UnparseableBody(
            "请求体为空 / the body is empty: send a JSON object, a JSON array or NDJSON"
        )
    items = _ndjson(body) if media_type(content_type) in NDJSON_MEDIA_TYPES else _json(body)
    if not items:
        raise UnparseableBody("批次为空 / the batch holds no events")
    if len(items) > limits.max_events:
        raise BodyTooLarge(
            f"事件过多 / {len(items)} events in one request; "
            f"the limit is {limits.max_events}: split the batch"
        )
    return items


def check_size(size: int, limits: BodyLimits) -> None:
    if size > limits.max_bytes:
        raise BodyTooLarge(
            f"请求体过大 / the body exceeds {limits.max_bytes} bytes: "
            "split the batch into smaller requests"
        )


def _json(body: bytes) -> list[object]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnparseableBody(f"不是合法的 JSON / the body is not valid JSON: {exc}") from exc
    if isinstance(parsed, dict):
        return [parsed]
    if isinstance(parsed, list):
        return parsed
    raise UnparseableBody(
        "请求体须为对象或数组 / the body must be a JSON object (one event) or array (a batch)"
    )


def _ndjson(body: bytes) -> list[object]:
    items: list[object] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise UnparseableBody(
                f"第 {number} 行不是合法的 JSON / NDJSON line {number} is not valid JSON: {exc}"
            ) from exc
    return items
