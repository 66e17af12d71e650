"""The push API in-process, with a recording publisher and an in-memory dedup store."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import orjson
import pytest

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters.dedup_store import InMemoryDedupStore
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.config import PushOptions
from services.ingest.domain.batch import BodyLimits
from services.ingest.domain.signature import SIGNATURE_HEADER, signing_headers
from services.ingest.entrypoints.http import create_app
from services.ingest.service_layer.ports import Message
from tests.unit.ingest.support import (
    AID,
    ALERT,
    CLEAR_ID_NUMBER,
    NEW_KEY,
    NOW,
    OLD_KEY,
    FixedClock,
    RecordingPublisher,
    SigningKey,
    broken,
    event,
    registry_of,
)

LIMITS = BodyLimits(max_bytes=64 * 1024, max_events=5)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def metrics() -> IngestMetrics:
    return IngestMetrics(new_registry())


@pytest.fixture
async def client(
    publisher: RecordingPublisher, metrics: IngestMetrics
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(),
        publisher=publisher,
        dedup_store=InMemoryDedupStore(),
        sources=registry_of(),
        metrics=metrics,
        options=PushOptions(limits=LIMITS, retry_after_seconds=7),
        clock=FixedClock(),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ingest"
    ) as http:
        yield http


async def push(
    client: httpx.AsyncClient,
    payload: object = None,
    *,
    body: bytes | None = None,
    key: SigningKey = NEW_KEY,
    content_type: str = "application/json",
    at=NOW,
) -> httpx.Response:
    body = body if body is not None else orjson.dumps(payload)
    headers = {**signing_headers("fuling-finance", key, body, at), "Content-Type": content_type}
    return await client.post("/v1/events", content=body, headers=headers)


class TestResults:
    async def test_one_event_accepted(self, client: httpx.AsyncClient) -> None:
        sent = event()
        response = await push(client, sent)
        assert response.status_code == 200
        assert response.json() == {
            "source": "fuling-finance",
            "received_at": NOW.isoformat(),
            "summary": {"accepted": 1, "duplicate": 0, "rejected": 0},
            "results": [
                {
                    "index": 0,
                    "id": sent["id"],
                    "status": "accepted",
                    "topic": "qinglian.raw.finance",
                }
            ],
        }

    async def test_duplicate_is_200_and_not_republished(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        sent = event()
        await push(client, sent)
        response = await push(client, [sent])
        assert response.status_code == 200
        assert response.json()["results"][0]["status"] == "duplicate"
        assert len(publisher.messages) == 1

    async def test_mixed_batch_is_207_with_path_and_rule(self, client: httpx.AsyncClient) -> None:
        good, bad = event(), broken()
        response = await push(client, [good, bad])
        assert response.status_code == 207
        results = response.json()["results"]
        assert [(r["index"], r["id"], r["status"]) for r in results] == [
            (0, good["id"], "accepted"),
            (1, bad["id"], "rejected"),
        ]
        assert [(r["path"], r["rule"]) for r in results[1]["reasons"]] == [
            ("data.amount_fen", "type")
        ]
        assert results[1]["deadletter_id"]

    async def test_malformed_only_is_422(self, client: httpx.AsyncClient) -> None:
        assert (await push(client, broken())).status_code == 422

    async def test_wrong_school_is_403(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        response = await push(client, event(schoolid="500199001"))
        assert response.status_code == 403
        assert response.json()["results"][0]["reasons"][0]["rule"] == "source_school_not_allowed"
        assert publisher.on("qinglian.raw.finance") == []
        assert len(publisher.on("qinglian.deadletter")) == 1

    async def test_wrong_type_is_403(self, client: httpx.AsyncClient) -> None:
        response = await push(client, event("canteen.meal_service.v1"))
        assert response.status_code == 403
        assert response.json()["results"][0]["reasons"][0]["rule"] == "source_type_not_allowed"

    async def test_alert_is_403_with_the_detectors_only_reason(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        response = await push(client, event(ALERT))
        assert response.status_code == 403
        [reason, *_] = response.json()["results"][0]["reasons"]
        assert reason["rule"] == "domain_not_ingested" and "detectors only" in reason["message"]
        assert publisher.on("qinglian.raw.finance") == []

    async def test_ndjson(self, client: httpx.AsyncClient) -> None:
        body = b"\n".join(orjson.dumps(event()) for _ in range(3)) + b"\n"
        response = await push(client, body=body, content_type="application/x-ndjson")
        assert response.status_code == 200 and response.json()["summary"]["accepted"] == 3

    async def test_rotated_key(self, client: httpx.AsyncClient) -> None:
        assert (await push(client, event(), key=OLD_KEY)).status_code == 200

    async def test_response_never_echoes_payload_values(self, client: httpx.AsyncClient) -> None:
        sent = event(AID)
        sent["data"] = {**sent["data"], "amount_fen": "x"}
        response = await push(client, sent)
        assert CLEAR_ID_NUMBER not in response.text


class TestRefusals:
    async def test_unsigned_is_401(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        response = await client.post(
            "/v1/events", json=event(), headers={"X-Qinglian-Source": "fuling-finance"}
        )
        assert response.status_code == 401
        assert (
            response.json()["error"] == "authentication_failed"
            and "unsigned" in response.json()["message"]
        )
        assert publisher.calls == []

    async def test_wrong_signature_is_401(self, client: httpx.AsyncClient) -> None:
        body = orjson.dumps(event())
        headers = signing_headers("fuling-finance", NEW_KEY, body, NOW)
        headers[SIGNATURE_HEADER] = "0" * 64
        response = await client.post("/v1/events", content=body, headers=headers)
        assert response.status_code == 401 and "does not match" in response.json()["message"]

    async def test_expired_timestamp_is_401(self, client: httpx.AsyncClient) -> None:
        response = await push(client, event(), at=NOW - timedelta(minutes=10))
        assert response.status_code == 401 and "window" in response.json()["message"]

    async def test_unparseable_body_is_400(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        response = await push(client, body=b"{not json")
        assert response.status_code == 400 and response.json()["error"] == "unparseable_body"
        assert publisher.calls == []

    async def test_too_many_events_is_413(self, client: httpx.AsyncClient) -> None:
        response = await push(client, [event() for _ in range(6)])
        assert response.status_code == 413
        assert "limit is 5" in response.json()["message"]

    async def test_too_many_bytes_is_413_before_authentication(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/v1/events", content=b"x" * (LIMITS.max_bytes + 1))
        assert response.status_code == 413 and "split the batch" in response.json()["message"]

    async def test_kafka_down_is_503_with_retry_after(
        self, client: httpx.AsyncClient, publisher: RecordingPublisher
    ) -> None:
        publisher.down = True
        sent = event()
        response = await push(client, sent)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.json()["error"] == "storage_unavailable"
        publisher.down = False
        again = await push(client, sent)
        assert again.status_code == 200 and again.json()["results"][0]["status"] == "accepted"


class TestDocumentation:
    async def test_openapi_has_examples_and_statuses(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        operation = spec["paths"]["/v1/events"]["post"]
        examples = operation["requestBody"]["content"]["application/json"]["examples"]
        assert examples["one"]["value"]["type"] == "cn.edu.qinglian.finance.payment_voucher.v1"
        assert "application/x-ndjson" in operation["requestBody"]["content"]
        assert {"200", "207", "400", "401", "403", "413", "422", "503"} <= set(
            operation["responses"]
        )
        assert {p["name"] for p in operation["parameters"]} >= {
            "X-Qinglian-Source",
            "X-Qinglian-Signature",
        }

    async def test_latency_histogram_counts_every_request(
        self, client: httpx.AsyncClient, metrics: IngestMetrics
    ) -> None:
        await push(client, event())
        await push(client, body=b"{")
        assert (
            metrics.registry.get_sample_value("qinglian_ingest_push_request_duration_seconds_count")
            == 2
        )

    async def test_health(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}


class MeetingPublisher(RecordingPublisher):
    """Holds each publish until `parties` of them are in progress at once (from worker threads)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.meeting = threading.Barrier(parties, timeout=10)

    def publish(self, messages: Sequence[Message]) -> list[bool]:
        self.meeting.wait()
        return super().publish(messages)


class TestConnectionSpreading:
    """A worker busy with another push asks the sender to reconnect (to a less busy worker)."""

    @staticmethod
    def client_of(publisher: RecordingPublisher, *, spread: bool) -> httpx.AsyncClient:
        app = create_app(
            Settings(),
            publisher=publisher,
            dedup_store=InMemoryDedupStore(),
            sources=registry_of(),
            options=PushOptions(limits=LIMITS, spread_busy_connections=spread),
            clock=FixedClock(),
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest")

    async def test_the_push_answered_while_another_is_in_progress_closes_its_connection(
        self,
    ) -> None:
        async with self.client_of(MeetingPublisher(2), spread=True) as client:
            responses = await asyncio.gather(push(client, event()), push(client, event()))
        assert [r.status_code for r in responses] == [200, 200]
        assert sorted(r.headers.get("connection", "keep-alive") for r in responses) == [
            "close",
            "keep-alive",
        ]

    async def test_a_lone_push_keeps_its_connection(self) -> None:
        async with self.client_of(RecordingPublisher(), spread=True) as client:
            response = await push(client, event())
        assert "connection" not in response.headers

    async def test_a_single_process_server_never_closes(self) -> None:
        async with self.client_of(MeetingPublisher(2), spread=False) as client:
            responses = await asyncio.gather(push(client, event()), push(client, event()))
        assert all("connection" not in r.headers for r in responses)
