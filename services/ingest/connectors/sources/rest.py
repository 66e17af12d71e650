"""REST API: page through each configured resource, politely and patiently.

Every request waits for the rate limiter, and a 5xx, 429, timeout or connection
error is retried with exponential backoff (tenacity). When the retries run out
the pass fails with SourceUnavailable and the checkpoint stays where it was. A
4xx or a body that is not the expected JSON is SourceRefused: retrying will not
help, the configuration or the source must change.

Paging reads some items again on purpose (see ``domain.paging``): the last page at the end of a
pass, the items at the boundary version. The checkpoint keeps the event ids read from the last
page, and items with those ids are skipped instead of coming back "duplicate" on every pass.
An updated item has a new version, hence a new id, and is read.

The HTTP transport is injected (``httpx.MockTransport`` in unit tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.ingest.connectors.domain.checkpoint import Batch, Checkpoint
from services.ingest.connectors.domain.mapping import to_event
from services.ingest.connectors.domain.spec import ResourceSpec, RestSpec, event_types
from services.ingest.connectors.errors import SourceRefused, SourceUnavailable
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.connectors.sources.base import BaseConnector
from services.ingest.connectors.sources.ratelimit import RateLimiter

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DELIVERED = "delivered"
"""In a resource's checkpoint position: the ids of the events read from the last page."""


class _RetryableAnswer(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


class RestApiConnector(BaseConnector):
    def __init__(
        self,
        spec: RestSpec,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **callbacks: Any,
    ) -> None:
        super().__init__(spec.common, event_types(spec), **callbacks)
        self.spec = spec
        self._transport = transport
        self._sleep = sleep
        self._limiter = RateLimiter(spec.rate_limit_per_second, clock=clock, sleep=sleep)
        self._client: httpx.Client | None = None

    def connect(self) -> None:
        headers = {"Accept": "application/json"}
        if self.spec.token:
            headers["Authorization"] = f"Bearer {self.spec.token}"
        self._client = httpx.Client(
            base_url=self.spec.base_url,
            transport=self._transport,
            timeout=self.spec.timeout_seconds,
            headers=headers,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]:
        saved = checkpoints.load(self.connector_id)
        for resource in self.spec.resources:
            checkpoint = saved.get(resource.name)
            yield from self._resource_batches(resource, checkpoint)

    def _resource_batches(
        self, resource: ResourceSpec, checkpoint: Checkpoint | None
    ) -> Iterator[Batch]:
        position: dict[str, Any] = dict(checkpoint.position) if checkpoint else {}
        delivered = set(position.pop(DELIVERED, ()))
        watermark = checkpoint.watermark if checkpoint else None
        done = False
        while not done:
            body = self._get(
                resource.path,
                {**resource.params, **resource.paging.params(position, resource.page_size)},
            )
            items = self._items(resource, body)
            versions = [
                item.get(resource.mapping.version) if resource.mapping.version else None
                for item in items
            ]
            following, done = resource.paging.advance(position, body, versions, resource.page_size)
            watermark = self._newest(versions) or watermark
            identities = [resource.record_id(self.connector_id, item) for item in items]
            unread = [
                (identity, item)
                for identity, item in zip(identities, items)
                if identity not in delivered
            ]
            if unread or following != position:
                events: list[object] = [
                    self._event(resource, item, identity) for identity, item in unread
                ]
                yield Batch(
                    events,
                    Checkpoint(resource.name, {**following, DELIVERED: identities}, watermark),
                )
            position, delivered = following, set(identities)

    def _event(
        self, resource: ResourceSpec, item: Mapping[str, Any], identity: str
    ) -> dict[str, Any]:
        return to_event(resource.mapping, item, source=self.common.event_source, event_id=identity)

    def _items(self, resource: ResourceSpec, body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        items = body.get(resource.items_field)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise SourceRefused(
                f"接口返回格式不符 / connector '{self.connector_id}': {resource.path} did not answer a list of "
                f"objects under '{resource.items_field}'"
            )
        return items

    def _get(self, path: str, params: Mapping[str, str | int]) -> Mapping[str, Any]:
        assert self._client is not None, "setup() connects before batches() runs"
        retrying = Retrying(
            stop=stop_after_attempt(self.spec.retry.attempts),
            wait=wait_exponential(
                multiplier=self.spec.retry.initial_backoff_seconds,
                max=self.spec.retry.max_backoff_seconds,
            ),
            retry=retry_if_exception_type((_RetryableAnswer, httpx.TransportError)),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            response = retrying(self._request, path, params)
        except (_RetryableAnswer, httpx.TransportError) as exc:
            raise SourceUnavailable(
                f"接口不可用 / connector '{self.connector_id}': GET {path} failed after "
                f"{self.spec.retry.attempts} attempt(s) ({exc.__class__.__name__}: {exc})"
            ) from exc
        if response.status_code >= 400:
            raise SourceRefused(
                f"接口拒绝请求 / connector '{self.connector_id}': GET {path} answered {response.status_code}; "
                "check the base URL, the token and the resource path"
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceRefused(
                f"接口返回非 JSON / connector '{self.connector_id}': GET {path} is not JSON"
            ) from exc
        if not isinstance(body, dict):
            raise SourceRefused(
                f"接口返回格式不符 / connector '{self.connector_id}': GET {path} is not a JSON object"
            )
        return body

    def _request(self, path: str, params: Mapping[str, str | int]) -> httpx.Response:
        assert self._client is not None
        self._limiter.acquire()
        response = self._client.get(path, params=dict(params))
        if response.status_code in RETRIED_STATUSES:
            raise _RetryableAnswer(response.status_code)
        return response

    def _newest(self, versions: Sequence[object]) -> datetime | None:
        if not versions or not isinstance(versions[-1], str):
            return None
        try:
            moment = datetime.fromisoformat(versions[-1])
        except ValueError:
            return None
        return moment.replace(tzinfo=self.common.zone) if moment.tzinfo is None else moment
