"""The push API against the real Kafka and PostgreSQL (in-process ASGI, real adapters)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from structlog.testing import capture_logs

from qinglian import broker
from qinglian.settings import Settings
from qinglian.stack.processes import free_port
from services.ingest.adapters.dedup_store import SqlDedupStore
from services.ingest.adapters.kafka_publisher import KafkaPublisher
from services.ingest.domain.signature import SIGNATURE_HEADER, signing_headers
from tests.integration.ingest.conftest import TopicTail, app_client, signed_push
from tests.integration.ingest.tcp_proxy import TcpProxy
from tests.unit.ingest.support import AID, CLEAR_ID_NUMBER, NEW_KEY, broken, event

pytestmark = pytest.mark.integration

RAW = "qinglian.raw.finance"
DLQ = "qinglian.deadletter"


def with_id(records: list[dict[str, object]], event_id: str) -> list[dict[str, object]]:
    return [record for record in records if record.get("id") == event_id]


async def test_signed_push_is_readable_from_kafka_pseudonymized(
    client: httpx.AsyncClient, open_tail: Callable[[str], TopicTail]
) -> None:
    raw = open_tail(RAW)
    sent = event(AID)
    with capture_logs() as logs:
        response = await signed_push(client, sent)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"index": 0, "id": sent["id"], "status": "accepted", "topic": RAW}
    ]
    records = [record for record in raw.drain() if orjson.loads(record.value)["id"] == sent["id"]]
    [record] = records
    assert record.key == b"500102001"
    assert dict(record.headers)[broker.CONTENT_TYPE_HEADER] == broker.CLOUDEVENTS_CONTENT_TYPE
    stored = orjson.loads(record.value)
    assert stored["data"]["student"]["id_number"].startswith("pn:")
    assert CLEAR_ID_NUMBER.encode() not in record.value
    assert CLEAR_ID_NUMBER not in repr(logs)
    assert CLEAR_ID_NUMBER not in response.text


async def test_malformed_event_is_rejected_with_path_and_rule_and_dead_lettered(
    client: httpx.AsyncClient, open_tail: Callable[[str], TopicTail]
) -> None:
    raw, dlq = open_tail(RAW), open_tail(DLQ)
    bad = broken(AID)
    with capture_logs() as logs:
        response = await signed_push(client, bad)
    assert response.status_code == 422
    [result] = response.json()["results"]
    assert [(r["path"], r["rule"]) for r in result["reasons"]] == [("data.amount_fen", "type")]
    [letter] = [record for record in dlq.values() if record["id"] == result["deadletter_id"]]
    assert (
        letter["kind"] == "rejected"
        and letter["source"] == "fuling-finance"
        and letter["stage"] == "push"
    )
    assert letter["event_id"] == bad["id"] and letter["reasons"][0]["rule"] == "type"
    assert letter["payload"]["data"]["amount_fen"] == "258720.00", (
        "the payload is kept as received, PII aside"
    )
    assert CLEAR_ID_NUMBER not in orjson.dumps(letter).decode() and CLEAR_ID_NUMBER not in repr(
        logs
    )
    assert with_id(raw.values(), bad["id"]) == []


async def test_wrong_school_is_403_and_dead_lettered(
    client: httpx.AsyncClient, open_tail: Callable[[str], TopicTail]
) -> None:
    dlq = open_tail(DLQ)
    response = await signed_push(client, event(schoolid="500199001"))
    assert response.status_code == 403
    [result] = response.json()["results"]
    assert result["reasons"][0]["rule"] == "source_school_not_allowed"
    assert [r["id"] for r in dlq.values() if r["id"] == result["deadletter_id"]] == [
        result["deadletter_id"]
    ]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda headers: {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}, "unsigned"),
        (lambda headers: {**headers, SIGNATURE_HEADER: "f" * 64}, "does not match"),
        (None, "window"),
    ],
    ids=["unsigned", "wrong-signature", "expired"],
)
async def test_unauthenticated_requests_are_401_and_publish_nothing(
    client: httpx.AsyncClient,
    open_tail: Callable[[str], TopicTail],
    tamper: Callable | None,
    reason: str,
) -> None:
    raw, dlq = open_tail(RAW), open_tail(DLQ)
    sent = event()
    body = orjson.dumps(sent)
    signed_at = datetime.now(UTC) - (timedelta(minutes=6) if tamper is None else timedelta())
    headers = signing_headers("fuling-finance", NEW_KEY, body, signed_at)
    headers = tamper(headers) if tamper else headers
    response = await client.post("/v1/events", content=body, headers=headers)
    assert response.status_code == 401 and reason in response.json()["message"]
    assert with_id(raw.values(), sent["id"]) == []
    assert [r for r in dlq.values() if r.get("event_id") == sent["id"]] == []


async def test_duplicate_is_not_republished_even_after_a_restart(
    kafka_settings: Settings,
    kafka_publisher: KafkaPublisher,
    dedup_store: SqlDedupStore,
    open_tail: Callable[[str], TopicTail],
) -> None:
    raw = open_tail(RAW)
    sent = event()
    async with app_client(kafka_settings, kafka_publisher, dedup_store) as first:
        assert (await signed_push(first, sent)).json()["results"][0]["status"] == "accepted"
        again = await signed_push(first, [sent])
    async with app_client(kafka_settings, kafka_publisher, dedup_store) as restarted:
        after_restart = await signed_push(restarted, sent)
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "duplicate"
    assert (
        after_restart.status_code == 200
        and after_restart.json()["results"][0]["status"] == "duplicate"
    )
    assert len(with_id(raw.values(), sent["id"])) == 1


async def test_broker_down_is_503_and_nothing_acknowledged_then_broker_back_is_accepted(
    kafka_settings: Settings, dedup_store: SqlDedupStore, open_tail: Callable[[str], TopicTail]
) -> None:
    raw = open_tail(RAW)
    port = free_port()
    host, _, kafka_port = kafka_settings.kafka_bootstrap_servers.split(",")[0].rpartition(":")
    unreachable = kafka_settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{port}"})
    publisher = KafkaPublisher.from_settings(
        unreachable, client_id="test-ingest-outage", timeout_seconds=2
    )
    proxy = TcpProxy(port, (host, int(kafka_port)))
    sent = event()
    try:
        async with app_client(kafka_settings, publisher, dedup_store) as http:
            down = await signed_push(http, sent)
            assert down.status_code == 503
            assert down.headers["Retry-After"] == "3"
            assert "Kafka" in down.json()["message"]
            assert dedup_store.seen("fuling-finance", [sent["id"]]) == set()
            assert with_id(raw.values(), sent["id"]) == []

            proxy.start()
            back = await signed_push(http, sent)
        assert back.status_code == 200, back.text
        assert back.json()["results"][0]["status"] == "accepted"
        assert len(with_id(raw.values(), sent["id"])) == 1
    finally:
        publisher.close()
        proxy.stop()


async def test_dedup_database_down_is_503_and_nothing_published_then_back_is_accepted(
    kafka_settings: Settings,
    kafka_publisher: KafkaPublisher,
    dedup_store: SqlDedupStore,
    open_tail: Callable[[str], TopicTail],
) -> None:
    """Without the dedup store a re-send could not be answered "duplicate": refuse, publish nothing."""
    raw = open_tail(RAW)
    url = dedup_store._engine.url
    port = free_port()
    proxy = TcpProxy(port, (str(url.host), int(url.port or 5432)))
    behind_proxy = SqlDedupStore.connect(
        url.set(port=port, query={"connect_timeout": "2"}).render_as_string(hide_password=False)
    )
    sent = event()
    try:
        async with app_client(kafka_settings, kafka_publisher, behind_proxy) as http:
            down = await signed_push(http, sent)
            assert down.status_code == 503, down.text
            assert down.headers["Retry-After"] == "3"
            assert "dedup database is unavailable" in down.json()["message"]
            assert with_id(raw.values(), sent["id"]) == []

            proxy.start()
            back = await signed_push(http, sent)
            assert back.status_code == 200, back.text
            assert back.json()["results"][0]["status"] == "accepted"
            again = await signed_push(http, sent)
        assert again.json()["results"][0]["status"] == "duplicate"
        assert len(with_id(raw.values(), sent["id"])) == 1
        assert dedup_store.seen("fuling-finance", [sent["id"]]) == {sent["id"]}
    finally:
        behind_proxy.close()
        proxy.stop()
