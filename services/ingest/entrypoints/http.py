"""The push API: ``POST /v1/events`` for school systems, built by ``create_app``, not at import.

Answers (see domain.results for the per-event semantics):

    200 / 207 / 403 / 422   per-event results: accepted, duplicate, rejected (with path and rule)
    400   the body is not JSON / NDJSON, or empty: nothing recorded
    401   unknown source, unsigned, wrong signature, timestamp outside the window
    413   more bytes or more events than allowed: split the batch
    503   Kafka (or the dedup database) did not confirm the writes: re-send after Retry-After;
          nothing that was not stored has been acknowledged
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from qinglian import __version__
from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.config import PushOptions
from services.ingest.domain.batch import BodyLimits, check_size, parse_events
from services.ingest.domain.deadletter import Stage
from services.ingest.domain.results import response_status, summary
from services.ingest.domain.signature import authenticate
from services.ingest.domain.sources import SourceRegistry
from services.ingest.entrypoints import openapi
from services.ingest.errors import RequestRefused, StorageUnavailable
from services.ingest.service_layer.ingestion import Ingestion, ingest
from services.ingest.service_layer.ports import DedupStore, Publisher

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class _ResultsResponse(JSONResponse):
    """The same JSON as JSONResponse, rendered by orjson: a batch has a result per event."""

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def create_app(
    settings: Settings,
    *,
    publisher: Publisher,
    dedup_store: DedupStore,
    sources: SourceRegistry,
    metrics: IngestMetrics | None = None,
    options: PushOptions | None = None,
    clock: Clock = utc_now,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    options = options or PushOptions()
    metrics = metrics or IngestMetrics(new_registry())
    ingestion = Ingestion.from_settings(
        settings, publisher=publisher, dedup_store=dedup_store, metrics=metrics
    )
    app = FastAPI(
        title="清廉 Qinglian 数据接入 / Ingest push API",
        version=__version__,
        description=openapi.DESCRIPTION,
        lifespan=lifespan,
    )

    pushes_in_progress = 0  # in this process; only the event loop's thread changes it

    @app.get("/healthz", summary="存活检查 / Liveness", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/v1/events",
        summary="推送事件 / Push events",
        tags=["events"],
        responses=openapi.push_responses(),
        openapi_extra=openapi.push_request(options.limits),
    )
    async def post_events(request: Request) -> JSONResponse:
        nonlocal pushes_in_progress
        started = time.perf_counter()
        pushes_in_progress += 1
        try:
            response = await _push(request, ingestion, sources, options, clock)
            if options.spread_busy_connections and pushes_in_progress > 1:
                response.headers["Connection"] = "close"
            return response
        finally:
            pushes_in_progress -= 1
            metrics.push_duration.observe(time.perf_counter() - started)

    return app


async def _push(
    request: Request,
    ingestion: Ingestion,
    sources: SourceRegistry,
    options: PushOptions,
    clock: Clock,
) -> JSONResponse:
    try:
        body = await _read_body(request, options.limits)
        received_at = clock()
        source = authenticate(
            sources, request.headers, body, now=received_at, window=options.signature_window
        )
        items = parse_events(body, request.headers.get("content-type"), options.limits)
        results = await run_in_threadpool(
            ingest, ingestion, items, source, received_at=received_at, stage=Stage.PUSH
        )
    except RequestRefused as exc:
        log.info("push refused", status=exc.status_code, code=exc.code, reason=exc.message)
        return _error(exc.status_code, exc.code, exc.message)
    except StorageUnavailable as exc:
        log.warning("push not stored", reason=str(exc))
        return _error(
            503, "storage_unavailable", str(exc), {"Retry-After": str(options.retry_after_seconds)}
        )
    counts = summary(results)
    log.info("push answered", source=source.source_id, **counts)
    body = {
        "source": source.source_id,
        "received_at": received_at.isoformat(),
        "summary": counts,
        "results": [result.as_dict() for result in results],
    }
    return _ResultsResponse(body, status_code=response_status(results))


async def _read_body(request: Request, limits: BodyLimits) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(int(declared), limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        check_size(size, limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)
