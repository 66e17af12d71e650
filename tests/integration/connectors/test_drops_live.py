"""Drop folders against the real broker: a bad CSV row ends in the report and the dead-letter topic while
the good rows pass; an OCDS file ends up as procurement events on the raw topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.ingest.connectors.domain.ocds import EVENT_TYPES
from services.ingest.connectors.domain.spec import FolderSpec, OcdsSpec
from services.ingest.connectors.service_layer.pull import PullDeps, drain
from services.ingest.connectors.sources.ocds_feed import ocds_connector
from services.ingest.connectors.sources.tabular import file_drop_connector
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from services.ingest.connectors.writers.ocds import OcdsWriter, compiled_release
from tests.integration.connectors.conftest import DEADLETTER, RAW_CANTEEN, RAW_PROCUREMENT
from tests.integration.ingest.conftest import TopicTail
from tests.unit.connectors.support import CLEAR_ID_NUMBER, drop_entry, meal_fee, ocds_entry, specs
from tests.unit.ingest.support import EXAMPLES

pytestmark = pytest.mark.integration


def test_a_bad_row_is_reported_and_dead_lettered_while_good_rows_pass(
    tmp_path: Path,
    live: PullDeps,
    open_tail: Callable[[str], TopicTail],
    school: str,
    connector_id: str,
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    [spec] = specs(tmp_path, drop_entry(connector_id, folder))
    assert isinstance(spec, FolderSpec)
    rows = export_rows(spec.files[0], [meal_fee(n, school=school) for n in range(1, 5)])
    rows[2]["amount_yuan"] = "720.005"
    DropFolderWriter(folder).write("meal_fee_0902.csv", spec.files[0], rows)
    raw, dlq = open_tail(RAW_CANTEEN), open_tail(DEADLETTER)

    connector = file_drop_connector(spec)
    connector.setup()
    assert drain(connector, live).results == {"accepted": 3, "rejected": 1}

    passed = [record for record in raw.values() if record.get("schoolid") == school]
    assert sorted(record["subject"] for record in passed) == [
        "JF-2024-000001",
        "JF-2024-000002",
        "JF-2024-000004",
    ]
    [letter] = [record for record in dlq.values() if record.get("source") == connector_id]
    assert (letter["stage"], letter["school_id"], letter["payload"]["data"]["amount_fen"]) == (
        "pull",
        school,
        "720.005",
    )
    assert [reason["path"] for reason in letter["reasons"]] == ["data.amount_fen"]
    assert CLEAR_ID_NUMBER not in json.dumps(letter, ensure_ascii=False)

    report = json.loads(
        (folder / "rejected" / "meal_fee_0902.csv.report.json").read_text(encoding="utf-8")
    )
    assert [(row["row"], row["column"], row["field"]) for row in report["rows"]] == [
        (4, "amount_yuan", "data.amount_fen")
    ]
    assert (folder / "rejected" / "meal_fee_0902.csv").exists()


def process_events(ocid: str, school: str) -> list[dict[str, Any]]:
    events = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES.glob("*.procurement.*.json"))
    ]
    for event in events:
        event["schoolid"] = school
        event["data"]["ocid"] = ocid
    return events


def test_an_ocds_file_becomes_procurement_events(
    tmp_path: Path,
    live: PullDeps,
    open_tail: Callable[[str], TopicTail],
    school: str,
    connector_id: str,
) -> None:
    folder = tmp_path / "ocds"
    folder.mkdir()
    [spec] = specs(tmp_path, ocds_entry(connector_id, folder, district_id="500102"))
    assert isinstance(spec, OcdsSpec)
    ocid = f"ocds-qlcq01-{uuid.uuid4().hex[:12]}"
    OcdsWriter(folder).write(
        "cq-2024-09.jsonl", [compiled_release(process_events(ocid, school))], raw_lines=["not json"]
    )
    raw, dlq = open_tail(RAW_PROCUREMENT), open_tail(DEADLETTER)

    connector = ocds_connector(spec)
    connector.setup()
    assert drain(connector, live).results == {"accepted": 8, "rejected": 1}

    stored = [record for record in raw.values() if record.get("data", {}).get("ocid") == ocid]
    assert sorted(record["type"] for record in stored) == sorted(EVENT_TYPES)
    assert {record["schoolid"] for record in stored} == {school}
    [bid] = [record for record in stored if record["type"].endswith(".bid.v1")]
    assert bid["data"]["deposit"]["payer_account_no"].startswith("pn:"), (
        "bank accounts are pseudonymized"
    )
    assert [
        record["payload"] for record in dlq.values() if record.get("source") == connector_id
    ] == ["not json"]
    assert (folder / "rejected" / "cq-2024-09.jsonl.report.csv").exists()
