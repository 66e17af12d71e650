"""Pagination arithmetic: which request comes next, and when a pass is done."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingest.connectors.domain.paging import CursorPaging, PagePaging


class TestCursor:
    paging = CursorPaging()

    def test_first_request_has_no_cursor(self) -> None:
        assert self.paging.params({}, 50) == {"limit": 50}
        assert self.paging.params({"cursor": "abc"}, 50) == {"limit": 50, "cursor": "abc"}

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"next_cursor": "c2"}, ({"cursor": "c2"}, False)),
            ({"next_cursor": None}, ({"cursor": "c1"}, True)),
            ({"next_cursor": ""}, ({"cursor": "c1"}, True)),
            ({}, ({"cursor": "c1"}, True)),
            (
                {"next_cursor": "c1"},
                ({"cursor": "c1"}, True),
            ),  # a source repeating itself must not loop
        ],
    )
    def test_advance(self, body: dict[str, Any], expected: tuple[dict[str, Any], bool]) -> None:
        assert self.paging.advance({"cursor": "c1"}, body, ["v"], 10) == expected


class TestPages:
    def test_without_since_the_partial_last_page_is_read_again(self) -> None:
        paging = PagePaging()
        assert paging.params({}, 3) == {"page": 1, "page_size": 3}
        assert paging.advance({"page": 1}, {}, [None] * 3, 3) == ({"page": 2, "since": None}, False)
        assert paging.advance({"page": 2}, {}, [None], 3) == ({"page": 2, "since": None}, True)
        assert paging.advance({"page": 3}, {}, [], 3) == ({"page": 3, "since": None}, True)

    def test_with_since_each_page_moves_since_to_its_last_version(self) -> None:
        paging = PagePaging(since_param="since")
        assert paging.params({"page": 1, "since": "v1"}, 2) == {
            "page": 1,
            "page_size": 2,
            "since": "v1",
        }
        assert paging.advance({"page": 1, "since": None}, {}, ["v1", "v2"], 2) == (
            {"page": 1, "since": "v2"},
            False,
        )
        assert paging.advance({"page": 1, "since": "v2"}, {}, ["v2", "v2"], 2) == (
            {"page": 2, "since": "v2"},
            False,
        )
        assert paging.advance({"page": 1, "since": None}, {}, ["v3", "v3"], 2) == (
            {"page": 2, "since": "v3"},
            False,
        )
        assert paging.advance({"page": 1, "since": "v2"}, {}, ["v3"], 2) == (
            {"page": 1, "since": "v3"},
            True,
        )


def test_a_record_updated_mid_pass_cannot_hide_another_record() -> None:
    """The classic offset-pagination hole: an update moves a record to the end and shifts the rest up."""
    records = {f"r{n}": n for n in range(1, 8)}  # id → version
    paging, size, seen = PagePaging(since_param="since"), 2, set()

    def serve(params: dict[str, Any]) -> list[tuple[str, int]]:
        since = int(params.get("since", 0))
        ordered = sorted(
            ((rid, v) for rid, v in records.items() if v >= since),
            key=lambda item: (item[1], item[0]),
        )
        return ordered[(params["page"] - 1) * size : params["page"] * size]

    position: dict[str, Any] = {}
    for pass_number in range(2):
        done = False
        while not done:
            page = serve(paging.params(position, size))
            seen.update(rid for rid, _ in page)
            if pass_number == 0 and "r2" in seen and records["r1"] == 1:
                records["r1"] = 100  # r1 updated: it moves to the end; r3… shift up one place
            position, done = paging.advance(position, {}, [v for _, v in page], size)
    assert seen == set(records)
