"""`qinglian dlq list | show | redrive` against the real dead-letter topic and dedup table."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from qinglian.cli import app
from services.ingest.errors import RedriveRefused
from tests.integration.ingest.conftest import TopicTail, signed_push
from tests.unit.ingest.support import broken

pytestmark = pytest.mark.integration

RAW = "qinglian.raw.finance"
DLQ = "qinglian.deadletter"


@pytest.fixture
def qinglian(postgres_database_url: str) -> Callable[..., object]:
    runner = CliRunner()

    def invoke(*args: str) -> object:
        return runner.invoke(app, list(args), env={"QINGLIAN_DATABASE_URL": postgres_database_url})

    return invoke


async def test_list_show_and_redrive_a_fixed_event(
    client: httpx.AsyncClient,
    open_tail: Callable[[str], TopicTail],
    qinglian: Callable[..., object],
    tmp_path: Path,
) -> None:
    bad = broken()
    rejected = await signed_push(client, bad)
    deadletter_id = rejected.json()["results"][0]["deadletter_id"]

    listed = qinglian("dlq", "list", "--source", "fuling-finance", "--limit", "1000")
    assert listed.exit_code == 0, listed.output
    [line] = [line for line in listed.stdout.splitlines() if line.startswith(deadletter_id)]
    assert "data.amount_fen [type]" in line and line.endswith("open")

    shown = qinglian("dlq", "show", deadletter_id)
    assert shown.exit_code == 0, shown.output
    letter = json.loads(shown.stdout)
    assert letter["event_id"] == bad["id"] and letter["reasons"][0]["path"] == "data.amount_fen"

    still_broken = qinglian("dlq", "redrive", deadletter_id)
    assert isinstance(still_broken.exception, RedriveRefused)
    assert "data.amount_fen [type]" in str(still_broken.exception)

    raw, dlq = open_tail(RAW), open_tail(DLQ)
    fixed = {**letter["payload"], "data": {**letter["payload"]["data"], "amount_fen": 25872000}}
    fixed_file = tmp_path / "fixed.json"
    fixed_file.write_text(json.dumps(fixed, ensure_ascii=False), encoding="utf-8")
    redriven = qinglian("dlq", "redrive", deadletter_id, "--file", str(fixed_file))
    assert redriven.exit_code == 0, redriven.output
    assert bad["id"] in redriven.stdout

    [stored] = [
        orjson.loads(r.value) for r in raw.drain() if orjson.loads(r.value)["id"] == bad["id"]
    ]
    assert stored["data"]["amount_fen"] == 25872000
    [history] = [record for record in dlq.values() if record.get("redrives") == deadletter_id]
    assert history["kind"] == "redriven" and history["topic"] == RAW

    again = await signed_push(client, fixed)
    assert again.json()["results"][0]["status"] == "duplicate", (
        "the redriven id is in the dedup table"
    )
    relisted = qinglian("dlq", "list", "--source", "fuling-finance", "--limit", "1000")
    [relisted_line] = [
        line for line in relisted.stdout.splitlines() if line.startswith(deadletter_id)
    ]
    assert relisted_line.endswith("redriven")


def test_show_unknown_id(qinglian: Callable[..., object]) -> None:
    result = qinglian("dlq", "show", "no-such-dead-letter")
    assert result.exit_code != 0
    assert "dlq list" in str(result.exception)
