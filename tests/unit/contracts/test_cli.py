"""`qinglian contracts list | validate`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from contracts.cli import contracts_app
from contracts.registry import event_types
from tests.unit.contracts.support import example, example_files

runner = CliRunner()
INSPECTION = "cn.edu.qinglian.canteen.inbound_inspection.v1"


def test_list_shows_every_type_with_both_titles() -> None:
    result = runner.invoke(contracts_app, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(event_types())
    assert any(
        line.startswith(INSPECTION) and "入库验收 / Inbound inspection" in line for line in lines
    )


def test_validate_a_single_json_event(tmp_path: Path) -> None:
    result = runner.invoke(contracts_app, ["validate", str(example_files()[0])])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("✔ #1 ")


def test_validate_ndjson_reports_each_event_and_fails_on_any_invalid(tmp_path: Path) -> None:
    broken = example(INSPECTION)
    broken["data"]["inspectors"][0]["staff_id"] = "bad id!"
    lines = [
        json.dumps(example(INSPECTION), ensure_ascii=False),
        json.dumps(broken, ensure_ascii=False),
        "{not json",
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(contracts_app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "✔ #1 canteen-inbound-inspection-0001" in result.output
    assert "✘ #2 canteen-inbound-inspection-0001" in result.output
    assert "data.inspectors[0].staff_id: 格式不符" in result.output
    assert "✘ #3" in result.output and "not JSON" in result.output


def test_validate_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        json.dumps([json.loads(file.read_text(encoding="utf-8")) for file in example_files()]),
        encoding="utf-8",
    )
    result = runner.invoke(contracts_app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("✔") == len(example_files())


def test_validate_rejects_values_that_are_not_objects(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text('[1, "x"]', encoding="utf-8")
    result = runner.invoke(contracts_app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.count("an event must be a JSON object") == 2
