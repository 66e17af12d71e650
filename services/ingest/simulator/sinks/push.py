"""Sending events to the ingest push API as a school system would: signed NDJSON batches.

Each batch is signed with HMAC-SHA256 over ``timestamp + "\\n" + body``
(headers X-Qinglian-Source, X-Qinglian-Timestamp, X-Qinglian-Key-Id,
X-Qinglian-Signature). A 503 is retried after its Retry-After, re-signed with a
fresh timestamp; a rejected event is a simulator bug and stops the run.
Ground-truth records are not pushed (keep them with a FileSink).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import orjson

from services.ingest.domain.signature import signing_headers
from services.ingest.domain.sources import SigningKey
from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import Manifest

EVENTS_PATH = "/v1/events"
NDJSON = "application/x-ndjson"
DEFAULT_BATCH = 500
RETRIES = 5


class PushSink:
    def __init__(
        self,
        client: httpx.Client,
        *,
        source_id: str,
        key: SigningKey,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self._client = client
        self._source_id = source_id
        self._key = key
        self._clock = clock
        self._sleep = sleep
        self._batch_size = batch_size
        self._batch: list[bytes] = []
        self.accepted = 0
        self.duplicates = 0

    def event(self, simulated: SimulatedEvent) -> None:
        self._batch.append(orjson.dumps(simulated.event))
        if len(self._batch) >= self._batch_size:
            self._flush()

    def anomaly(self, truth: GroundTruth) -> None:
        return None

    def close(self, manifest: Manifest) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        body = b"\n".join(self._batch) + b"\n"
        for _ in range(RETRIES):
            headers = {
                **signing_headers(self._source_id, self._key, body, self._clock()),
                "Content-Type": NDJSON,
            }
            try:
                response = self._client.post(EVENTS_PATH, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise SinkError(
                    f"推送失败 / push to {self._client.base_url} failed: {exc}"
                ) from exc
            if response.status_code == 503:
                self._sleep(float(response.headers.get("Retry-After", "1")))
                continue
            self._check(response)
            self._batch = []
            return
        raise SinkError(
            f"接入服务持续不可用 / the push API answered 503 {RETRIES} times; try again later"
        )

    def _check(self, response: httpx.Response) -> None:
        if response.status_code not in (200, 207, 403, 422):
            raise SinkError(
                f"推送被拒绝 / push refused with {response.status_code}: {response.text[:300]}"
            )
        body = response.json()
        rejected = [item for item in body["results"] if item["status"] == "rejected"]
        if rejected:
            reason = rejected[0].get("reasons", [{}])[0]
            raise SinkError(
                f"事件被拒收 / {len(rejected)} event(s) rejected, first {rejected[0]['id']}: "
                f"{reason.get('path', '')} {reason.get('message', '')}"
            )
        self.accepted += body["summary"].get("accepted", 0)
        self.duplicates += body["summary"].get("duplicate", 0)
