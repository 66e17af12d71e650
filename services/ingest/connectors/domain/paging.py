"""REST pagination, as pure position arithmetic: which request comes next, and when a pass is done.

Cursor style (preferred): position ``{"cursor": c}``. The next cursor from the
answer becomes the position; at the end (no next cursor) the position stays, so
the next pass re-reads the last page, which may have grown; the connector skips the
items it read from that page before (``sources.rest``).

Page style: position ``{"page": n, "since": v}``. With a ``since`` parameter the
source filters ``version >= since`` and sorts by version ascending. After each
page the position moves to ``since = version of the page's last item, page 1``,
so a record updated during a pass (which moves to the end) cannot shift an unread
record onto a page already read. Only when a whole page shares one version does
the page number advance. Items at the boundary version are read twice and sent
once. Without a ``since`` parameter the pages are read in order and the last,
partial page is read again on the next pass (append-only sources).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Position = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CursorPaging:
    cursor_param: str = "cursor"
    next_field: str = "next_cursor"
    limit_param: str = "limit"

    def params(self, position: Position, page_size: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {self.limit_param: page_size}
        if position.get("cursor") is not None:
            params[self.cursor_param] = str(position["cursor"])
        return params

    def advance(
        self,
        position: Position,
        body: Mapping[str, Any],
        versions: Sequence[object],
        page_size: int,
    ) -> tuple[dict[str, Any], bool]:
        following = body.get(self.next_field)
        if following is None or following == "" or following == position.get("cursor"):
            return dict(position), True
        return {"cursor": following}, False


@dataclass(frozen=True, slots=True)
class PagePaging:
    page_param: str = "page"
    size_param: str = "page_size"
    since_param: str | None = None
    first_page: int = 1

    def params(self, position: Position, page_size: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            self.page_param: int(position.get("page", self.first_page)),
            self.size_param: page_size,
        }
        if self.since_param and position.get("since") is not None:
            params[self.since_param] = str(position["since"])
        return params

    def advance(
        self,
        position: Position,
        body: Mapping[str, Any],
        versions: Sequence[object],
        page_size: int,
    ) -> tuple[dict[str, Any], bool]:
        page = int(position.get("page", self.first_page))
        since = position.get("since")
        done = len(versions) < page_size
        if not versions:
            return {"page": page, "since": since}, True
        if self.since_param is None:
            return {"page": page if done else page + 1, "since": None}, done
        last = versions[-1]
        if last == since:
            return {"page": page if done else page + 1, "since": since}, done
        if all(version == last for version in versions):
            # Page 1 of `since = last` is this very page: go on with page 2.
            return {"page": self.first_page + (0 if done else 1), "since": last}, done
        return {"page": self.first_page, "since": last}, done


Paging = CursorPaging | PagePaging
