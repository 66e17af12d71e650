"""A school system's REST API, small and real: serves records by cursor or by page (FastAPI).

    GET /<resource path>?cursor=<c>&limit=<n>          → {"items": [...], "next_cursor": c | null}
    GET /<resource path>?page=<p>&page_size=<n>[&updated_since=<v>]
                                                      → {"items": [...], "page": p, "total": t}

Cursor pages follow insertion order; numbered pages are sorted by the version
field (then insertion), filtered ``version >= updated_since``. With a token, every
request needs ``Authorization: Bearer <token>``. ``fail_next`` makes the next
answers fail (503, 500…), to exercise a connector's retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.ingest.connectors.domain.mapping import to_record
from services.ingest.connectors.domain.spec import ResourceSpec


class RestSourceStore:
    """The records behind the API, per resource path; safe to fill while the server runs."""

    def __init__(self, version_field: str = "updated_at") -> None:
        self.version_field = version_field
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self.requests: list[dict[str, str]] = []

    def add(self, path: str, records: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._records.setdefault(path, []).extend(_jsonable(dict(record)) for record in records)

    def add_events(self, resource: ResourceSpec, events: Iterable[Mapping[str, Any]], *, version: str) -> None:
        """Records mapped back from events (the inverse of the resource's mapping), stamped ``version``."""
        self.add(resource.path, ({**to_record(resource.mapping, e), self.version_field: version} for e in events))

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._failures.extend(statuses)

    def answer(self, path: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"path": path, **query})
            if self._failures:
                return self._failures.pop(0), {"error": "injected failure"}
            records = list(self._records.get(path, []))
        if "page" in query:
            return 200, self._numbered(records, query)
        offset, limit = int(query.get("cursor", 0)), int(query.get("limit", 100))
        page = records[offset : offset + limit]
        # A full page points past itself; a partial page is the end, read again on the next pass.
        following = str(offset + len(page)) if page and len(page) == limit else None
        return 200, {"items": page, "next_cursor": following}

    def _numbered(self, records: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
        page, size = int(query["page"]), int(query.get("page_size", 100))
        since = query.get("updated_since")
        chosen = [r for r in records if since is None or str(r.get(self.version_field)) >= since]
        ordered = sorted(chosen, key=lambda record: str(record.get(self.version_field)))
        return {"items": ordered[(page - 1) * size : page * size], "page": page, "total": len(ordered)}


def create_source_app(store: RestSourceStore, *, token: str | None = None) -> FastAPI:
    app = FastAPI(title="School system REST source (Qinglian simulator)", docs_url=None, redoc_url=None)

    @app.get("/{path:path}")
    def serve(path: str, request: Request) -> JSONResponse:
        if token is not None and request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        status, body = store.answer(f"/{path}", dict(request.query_params))
        return JSONResponse(body, status_code=status)

    return app


@contextmanager
def serving(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the app with uvicorn in a thread; yields its base URL, stops on exit."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, name="rest-source", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError(f"the REST source could not listen on {host}:{port}")
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    def value(item: object) -> object:
        if isinstance(item, datetime | date):
            return item.isoformat()
        if isinstance(item, Decimal):
            return str(item)
        return item

    return {name: value(item) for name, item in record.items()}
