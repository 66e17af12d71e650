"""Loading the schema files: malformed contracts fail loudly, and nothing loads at import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts.catalogue import load_catalogue
from contracts.errors import ContractError
from contracts.naming import SCHEMA_DIR, parse_type
from contracts.registry import validate
from tests.unit.contracts.support import example, example_files

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, directory)
    return directory


def rewrite(path: Path, **changes: object) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**schema, **changes}), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"$id": "https://contracts.qinglian.edu.cn/canteen/other.v1.schema.json"},
            "must be https://",
        ),
        ({"title": "Inbound inspection"}, "中文 / English"),
        ({"x-qinglian-version": "2.0.0"}, "major is 1"),
        ({"x-qinglian-version": "1.0"}, "semver"),
    ],
)
def test_malformed_data_schema_is_refused(schema_dir: Path, changes: dict, message: str) -> None:
    rewrite(schema_dir / "canteen" / "inbound_inspection.v1.schema.json", **changes)
    with pytest.raises(ContractError, match=message):
        load_catalogue(schema_dir)


def test_unreadable_schema_is_refused(schema_dir: Path) -> None:
    (schema_dir / "canteen" / "outbound.v1.schema.json").write_text("{", encoding="utf-8")
    with pytest.raises(ContractError, match="outbound"):
        load_catalogue(schema_dir)


def test_parse_type() -> None:
    parsed = parse_type("cn.edu.qinglian.procurement.tender.v12")
    assert parsed is not None
    assert (parsed.domain, parsed.name, parsed.major) == ("procurement", "tender", 12)
    assert (
        parsed.schema_id == "https://contracts.qinglian.edu.cn/procurement/tender.v12.schema.json"
    )
    assert parse_type("cn.edu.qinglian.procurement.tender") is None


def test_importing_the_api_loads_no_schema() -> None:
    code = (
        "import contracts.registry as r, contracts.pii, contracts.envelope, contracts.cli;"
        "assert r._contracts.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)


def test_valid_events_take_the_fast_path() -> None:
    """Ingest validates every event; a few thousand per second is the floor, not the target."""
    events = [example(path.stem) for path in example_files()]
    for event in events:
        validate(event)
    rounds = 30
    started = time.perf_counter()
    for _ in range(rounds):
        for event in events:
            validate(event)
    rate = rounds * len(events) / (time.perf_counter() - started)
    assert rate > 3_000
