"""A school system's REST API, small and real: serves records by cursor or by page (FastAPI).

    GET /<resource path>?cursor=<c>&limit=<n>          → {"items": [...], "next_cursor": c | null}
    GET /<resource path>?page=<p>&page_size=<n>[&updated_since=<v>]
                                                      → {"items": [...], "page": p, "total": t}

Cursor pages follow insertion order; numbered pages are sorted by the version
field (then insertion), filtered ``version >= updated_since``. With a token, every
request needs ``Authorization: Bearer <token>``. ``fail_next`` makes the next
answers fail (503, 500…), to exercise a connector's retries.

The records are kept in memory, or in a folder (one JSON-lines file per resource
path) so that one process can add records while another serves them: the
simulator writes, the demo's REST source answers. Only complete lines are served.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.ingest.connectors.domain.mapping import to_record
from services.ingest.connectors.domain.spec import ResourceSpec


class RestSourceStore:
    """The records behind the API, per resource path; safe to fill while the server runs."""

    def __init__(self, version_field: str = "updated_at", *, folder: Path | None = None) -> None:
        """With a ``folder``, records live in its files and other stores on the same folder see them."""
        self.version_field = version_field
        self.folder = folder
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._read_up_to: dict[str, int] = {}  # path → bytes of its file already in _records
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self.requests: list[dict[str, str]] = []
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def add(self, path: str, records: Iterable[Mapping[str, Any]]) -> None:
        added = [_jsonable(dict(record)) for record in records]
        with self._lock:
            if self.folder is None:
                self._records.setdefault(path, []).extend(added)
                return
            lines = b"".join(orjson.dumps(record) + b"\n" for record in added)
            with self._file(path).open("ab") as file:
                file.write(lines)  # one write: a reader sees whole lines or none of them

    def add_events(
        self, resource: ResourceSpec, events: Iterable[Mapping[str, Any]], *, version: str
    ) -> None:
        """Records mapped back from events (the inverse of the resource's mapping), stamped ``version``."""
        self.add(resource.path, (self.record(resource, event, version=version) for event in events))

    def record(
        self, resource: ResourceSpec, event: Mapping[str, Any], *, version: str
    ) -> dict[str, Any]:
        """The record served for ``event``, stamped ``version``, as a client reads it from the JSON answer."""
        return _jsonable({**to_record(resource.mapping, event), self.version_field: version})

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._failures.extend(statuses)

    def answer(self, path: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"path": path, **query})
            if self._failures:
                return self._failures.pop(0), {"error": "injected failure"}
            records = list(self._stored(path))
        if "page" in query:
            return 200, self._numbered(records, query)
        offset, limit = int(query.get("cursor", 0)), int(query.get("limit", 100))
        page = records[offset : offset + limit]
        # A full page points past itself; a partial page is the end, read again on the next pass.
        following = str(offset + len(page)) if page and len(page) == limit else None
        return 200, {"items": page, "next_cursor": following}

    def _stored(self, path: str) -> list[dict[str, Any]]:
        """The path's records, with the complete lines appended to its file since the last call."""
        records = self._records.setdefault(path, [])
        if self.folder is None or not self._file(path).exists():
            return records
        with self._file(path).open("rb") as file:
            file.seek(self._read_up_to.get(path, 0))
            appended = file.read()
        complete = appended[: appended.rfind(b"\n") + 1]
        records.extend(orjson.loads(line) for line in complete.splitlines())
        self._read_up_to[path] = self._read_up_to.get(path, 0) + len(complete)
        return records

    def _file(self, path: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{path.strip('/').replace('/', '__') or 'root'}.jsonl"

    def _numbered(self, records: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
        page, size = int(query["page"]), int(query.get("page_size", 100))
        since = query.get("updated_since")
        chosen = [r for r in records if since is None or str(r.get(self.version_field)) >= since]
        ordered = sorted(chosen, key=lambda record: str(record.get(self.version_field)))
        return {
            "items": ordered[(page - 1) * size : page * size],
            "page": page,
            "total": len(ordered),
        }


def create_source_app(store: RestSourceStore, *, token: str | None = None) -> FastAPI:
    app = FastAPI(
        title="School system REST source (Qinglian simulator)", docs_url=None, redoc_url=None
    )

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
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    )
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
