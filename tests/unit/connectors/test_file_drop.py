"""Drop folders with CSV and XLSX exports: processed once by content hash, archived or rejected with a report."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from services.ingest.connectors.domain.spec import FolderSpec
from services.ingest.connectors.service_layer.pull import PullSummary, drain
from services.ingest.connectors.sources.folder import FolderConnector
from services.ingest.connectors.sources.tabular import file_drop_connector
from services.ingest.connectors.writers.drop_folder import DropFolderWriter, export_rows
from tests.unit.connectors.support import (
    CLEAR_ID_NUMBER,
    CrashingCheckpoints,
    Harness,
    ProcessKilled,
    drop_entry,
    meal_fee,
    specs,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "drop"
    path.mkdir()
    return path


def spec_for(tmp_path: Path, folder: Path, **options: Any) -> FolderSpec:
    [spec] = specs(tmp_path, drop_entry("canteen-drop", folder, **options))
    assert isinstance(spec, FolderSpec)
    return spec


def connector(spec: FolderSpec) -> FolderConnector:
    built = file_drop_connector(spec)
    built.setup()
    return built


def pull(spec: FolderSpec, harness: Harness) -> PullSummary:
    return drain(connector(spec), harness.deps)


def drop(spec: FolderSpec, folder: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    file_spec = spec.files[1] if name.endswith(".xlsx") else spec.files[0]
    return DropFolderWriter(folder).write(name, file_spec, rows)


def rows_of(spec: FolderSpec, numbers: range) -> list[dict[str, Any]]:
    return export_rows(spec.files[0], [meal_fee(n) for n in numbers])


def test_a_clean_csv_is_ingested_and_archived(tmp_path: Path, folder: Path) -> None:
    spec, harness = spec_for(tmp_path, folder), Harness()
    drop(spec, folder, "meal_fee_0901.csv", rows_of(spec, range(1, 4)))
    assert pull(spec, harness).results == {"accepted": 3}
    assert [event["subject"] for event in harness.published()] == [
        f"JF-2024-{n:06d}" for n in range(1, 4)
    ]
    assert (folder / "archive" / "meal_fee_0901.csv").exists() and not (
        folder / "meal_fee_0901.csv"
    ).exists()
    assert list((folder / "rejected").iterdir()) == []


def test_an_xlsx_export_gives_the_same_events(tmp_path: Path, folder: Path) -> None:
    spec, harness = spec_for(tmp_path, folder), Harness()
    drop(spec, folder, "meal_fee_0901.xlsx", rows_of(spec, range(1, 3)))
    pull(spec, harness)
    pseudonymized = harness.deps.ingestion.pseudonymizer.event
    assert [event["data"] for event in harness.published()] == [
        pseudonymized(meal_fee(n))["data"] for n in range(1, 3)
    ]
    assert (folder / "archive" / "meal_fee_0901.xlsx").exists()


def test_a_bad_row_is_reported_and_dead_lettered_while_the_good_rows_pass(
    tmp_path: Path, folder: Path
) -> None:
    spec, harness = spec_for(tmp_path, folder), Harness()
    rows = rows_of(spec, range(1, 4))
    rows[1]["amount_yuan"] = "七百二十"
    drop(spec, folder, "meal_fee_0902.csv", rows)
    with capture_logs() as logs:
        summary = pull(spec, harness)
    assert CLEAR_ID_NUMBER not in repr(logs)
    assert all(
        CLEAR_ID_NUMBER not in json.dumps(m.value, ensure_ascii=False)
        for m in harness.publisher.messages
    )
    assert summary.results == {"accepted": 2, "rejected": 1}
    assert [event["subject"] for event in harness.published()] == [
        "JF-2024-000001",
        "JF-2024-000003",
    ]
    [letter] = harness.deadletters()
    assert letter["stage"] == "pull" and letter["payload"]["data"]["amount_fen"] == "七百二十"
    assert CLEAR_ID_NUMBER not in json.dumps(letter, ensure_ascii=False), (
        "the dead letter is pseudonymized too"
    )
    moved = folder / "rejected" / "meal_fee_0902.csv"
    assert moved.exists()
    report = json.loads(
        (folder / "rejected" / "meal_fee_0902.csv.report.json").read_text(encoding="utf-8")
    )
    assert report["rows"] == [
        {
            "row": 3,
            "column": "amount_yuan",
            "field": "data.amount_fen",
            "rule": "type",
            "reason": report["rows"][0]["reason"],
        }
    ]
    with (folder / "rejected" / "meal_fee_0902.csv.report.csv").open(
        encoding="utf-8-sig"
    ) as handle:
        assert [line["row"] for line in csv.DictReader(handle)] == ["3"]


def test_the_same_content_is_processed_once_whatever_its_name(tmp_path: Path, folder: Path) -> None:
    spec, harness = spec_for(tmp_path, folder, key=False), Harness()
    content = drop(spec, folder, "meal_fee_a.csv", rows_of(spec, range(1, 3))).read_bytes()
    pull(spec, harness)
    (folder / "meal_fee_b.csv").write_bytes(content)
    assert pull(spec, harness).results == {}, "not ingested again"
    assert len(harness.published()) == 2
    assert sorted(path.name for path in (folder / "archive").iterdir()) == [
        "meal_fee_a.csv",
        "meal_fee_b.csv",
    ]


def test_a_file_missing_a_mapped_column_is_rejected_whole(tmp_path: Path, folder: Path) -> None:
    spec, harness = spec_for(tmp_path, folder), Harness()
    (folder / "meal_fee_0903.csv").write_text(
        "school_code,payment_no,paid_at\n500102001,JF-1,2024-09-01 20:00:00\n"
    )
    pull(spec, harness)
    assert harness.publisher.messages == []
    report = json.loads(
        (folder / "rejected" / "meal_fee_0903.csv.report.json").read_text(encoding="utf-8")
    )
    [row] = report["rows"]
    assert row["row"] is None and row["rule"] == "unreadable_file" and "meal_days" in row["reason"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("meal_fee_x.csv", "学校代码\n".encode("gb18030"), "not encoded in utf-8-sig"),
        ("meal_fee_x.xlsx", b"not a zip", "not a readable XLSX"),
        ("meal_fee_x.csv", b"", "empty"),
    ],
)
def test_unreadable_files_are_rejected_with_the_reason(
    tmp_path: Path, folder: Path, name: str, content: bytes, expected: str
) -> None:
    spec = spec_for(tmp_path, folder)
    (folder / name).write_bytes(content)
    pull(spec, Harness())
    report = json.loads((folder / "rejected" / f"{name}.report.json").read_text(encoding="utf-8"))
    assert expected in report["rows"][0]["reason"]


def test_a_crash_mid_file_resumes_after_the_last_stored_batch(tmp_path: Path, folder: Path) -> None:
    spec, harness = spec_for(tmp_path, folder, batch_size=2), Harness()
    rows = rows_of(spec, range(1, 8))
    rows[0]["pay_channel"] = "99"
    drop(spec, folder, "meal_fee_0904.csv", rows)
    crashing = dataclasses.replace(
        harness.deps, checkpoints=CrashingCheckpoints(3, harness.checkpoints)
    )
    with pytest.raises(ProcessKilled):
        drain(connector(spec), crashing)
    assert (folder / "meal_fee_0904.csv").exists(), "the file stays until it is done"
    summary = pull(spec, harness)
    assert summary.results == {"duplicate": 2, "accepted": 1}
    events = harness.published()
    assert sorted(e["subject"] for e in events) == [f"JF-2024-{n:06d}" for n in range(2, 8)]
    assert len({e["id"] for e in events}) == 6
    report = json.loads(
        (folder / "rejected" / "meal_fee_0904.csv.report.json").read_text(encoding="utf-8")
    )
    assert [(row["row"], row["column"], row["rule"]) for row in report["rows"]] == [
        (2, "pay_channel", "enum")
    ]


def test_hidden_partial_files_and_other_names_are_left_alone(tmp_path: Path, folder: Path) -> None:
    spec = spec_for(tmp_path, folder)
    (folder / ".meal_fee_1.csv.partial").write_text("half")
    (folder / "notes.txt").write_text("hello")
    (folder / "other_export.csv").write_text("a,b\n1,2\n")
    assert pull(spec, Harness()).batches == 0
    assert sorted(path.name for path in folder.iterdir() if path.is_file()) == [
        ".meal_fee_1.csv.partial",
        "notes.txt",
        "other_export.csv",
    ]


def test_gb18030_exports_are_read_with_their_encoding(tmp_path: Path, folder: Path) -> None:
    entry = drop_entry("canteen-drop", folder)
    entry["files"][0]["encoding"] = "gb18030"
    [spec] = specs(tmp_path, entry)
    assert isinstance(spec, FolderSpec)
    harness = Harness()
    DropFolderWriter(folder).write("meal_fee_gb.csv", spec.files[0], rows_of(spec, range(1, 2)))
    assert "李思琪".encode("gb18030") in (folder / "meal_fee_gb.csv").read_bytes()
    pull(spec, harness)
    [event] = harness.published()
    assert event["data"]["student"]["name"].startswith("pn:")
