"""Parsing the push body: one event, a JSON array or NDJSON, within size limits."""

from __future__ import annotations

import pytest

from services.ingest.domain.batch import BodyLimits, parse_events
from services.ingest.errors import BodyTooLarge, UnparseableBody

LIMITS = BodyLimits(max_bytes=200, max_events=3)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"id": "a"}', "application/json", [{"id": "a"}]),
        (b'[{"id": "a"}, {"id": "b"}]', None, [{"id": "a"}, {"id": "b"}]),
        (
            b'{"id": "a"}\n\n{"id": "b"}\n',
            "application/x-ndjson; charset=utf-8",
            [{"id": "a"}, {"id": "b"}],
        ),
        (b'[1, "x"]', "application/json", [1, "x"]),
    ],
)
def test_accepted_shapes(body: bytes, content_type: str | None, expected: list[object]) -> None:
    assert parse_events(body, content_type, LIMITS) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"", None, "empty"),
        (b"  \n", "application/x-ndjson", "empty"),
        (b"[]", None, "no events"),
        (b'{"id": ', None, "not valid JSON"),
        (b'"just a string"', None, "JSON object"),
        (b'{"id": "a"}\n{oops}\n', "application/x-ndjson", "line 2"),
    ],
)
def test_unparseable_bodies(body: bytes, content_type: str | None, fragment: str) -> None:
    with pytest.raises(UnparseableBody, match=fragment) as caught:
        parse_events(body, content_type, LIMITS)
    assert caught.value.status_code == 400


def test_too_many_bytes() -> None:
    with pytest.raises(BodyTooLarge, match="200 bytes") as caught:
        parse_events(b'{"pad": "' + b"x" * 200 + b'"}', None, LIMITS)
    assert caught.value.status_code == 413


def test_too_many_events() -> None:
    with pytest.raises(BodyTooLarge, match=r"4 events.*limit is 3"):
        parse_events(b"[{}, {}, {}, {}]", None, LIMITS)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        BodyLimits(max_bytes=0)
