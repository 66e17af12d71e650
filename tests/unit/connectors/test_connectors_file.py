"""The connectors file: every kind parses, secrets come from the environment, mistakes name their place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.domain.ocds import EVENT_TYPES
from services.ingest.connectors.domain.paging import CursorPaging, PagePaging
from services.ingest.connectors.domain.spec import (
    FolderSpec,
    Kind,
    OcdsSpec,
    RestSpec,
    StagingSpec,
    event_types,
)
from services.ingest.connectors.errors import ConnectorsFileError
from tests.unit.connectors.support import MEAL_FEE_TYPE, specs, staging_entry

EXAMPLE = (
    Path(__file__).resolve().parents[3]
    / "services"
    / "ingest"
    / "connectors"
    / "example-connectors.yaml"
)
EXAMPLE_ENVIRONMENT = {
    "FULING_CANTEEN_STAGING_URL": "postgresql+psycopg://reader:s3cret@10.0.0.5/qianzhiku",
    "FULING_XUEJI_TOKEN": "token-123",
}


def test_the_example_file_configures_every_kind() -> None:
    staging, rest, drop, ocds = load_connectors(EXAMPLE, EXAMPLE_ENVIRONMENT)
    assert isinstance(staging, StagingSpec) and staging.url.endswith("/qianzhiku")
    assert [table.stream for table in staging.tables] == [
        "st_meal_fee_payment",
        "st_purchase_order",
    ]
    assert staging.tables[0].mapping.key == ("payment_no",) and staging.tables[1].mapping.key == (
        "order_no",
    )
    assert staging.tables[0].mapping.version == "updated_at"
    assert (
        isinstance(rest, RestSpec) and rest.token == "token-123" and rest.rate_limit_per_second == 5
    )
    assert isinstance(rest.resources[0].paging, CursorPaging)
    assert rest.resources[1].paging == PagePaging(since_param="updated_since")
    assert (
        isinstance(drop, FolderSpec)
        and drop.files[0].encoding == "gb18030"
        and drop.files[1].sheet == "缴费明细"
    )
    assert isinstance(ocds, OcdsSpec) and ocds.buyer_schools == {"12500102450812345M": "500102001"}
    assert event_types(drop) == (MEAL_FEE_TYPE,)
    assert event_types(ocds) == EVENT_TYPES
    assert staging.common.source_system(event_types(staging)).school_ids == ("500102*",)


def test_null_keep_is_read_as_the_example_writes_it_unquoted() -> None:
    """YAML reads the key of `meal: {column: meal, null: keep}` as None, not as the string "null"."""
    _, rest, *_ = load_connectors(EXAMPLE, EXAMPLE_ENVIRONMENT)
    assert isinstance(rest, RestSpec)
    rules = dict(rest.resources[0].mapping.fields)
    assert rules[("meal",)].keep_null and not rules[("kind",)].keep_null


def test_the_deployed_file_has_one_connector_of_each_kind_and_loads_without_secrets() -> None:
    deployed = EXAMPLE.parents[3] / "deploy" / "ingest" / "connectors.yaml"
    assert sorted(spec.kind for spec in load_connectors(deployed, {})) == sorted(Kind)


def test_secrets_are_not_shown() -> None:
    staging, rest, *_ = load_connectors(EXAMPLE, EXAMPLE_ENVIRONMENT)
    assert "s3cret" not in repr(staging) and "token-123" not in repr(rest)


def write(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "connectors.yaml"
    path.write_text(
        yaml.safe_dump({"connectors": list(entries)}, allow_unicode=True), encoding="utf-8"
    )
    return path


def refused(tmp_path: Path, *entries: dict[str, Any], environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConnectorsFileError) as caught:
        load_connectors(write(tmp_path, *entries), environ or {})
    return str(caught.value)


def test_an_inline_password_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, staging_entry("c", "postgresql+psycopg://reader:s3cret@db/x"))
    assert "url_env" in message and "s3cret" not in message


def test_url_env_must_be_set_and_not_a_setting(tmp_path: Path) -> None:
    entry = staging_entry("c", "unused")
    del entry["url"]
    assert "STAGING_URL is not set" in refused(tmp_path, entry | {"url_env": "STAGING_URL"})
    assert "QINGLIAN_" in refused(
        tmp_path, entry | {"url_env": "QINGLIAN_STAGING"}, environ={"QINGLIAN_STAGING": "x"}
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "ftp"}, "kind: choose one of staging_db, rest_api, file_drop, ocds"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"batch_size": 0}, "batch_size"),
        ({"event_source": "schools/{school_id}"}, "event_source: a path like"),
        ({"event_source": "/学校/{school_id}"}, "event_source: a path like"),
    ],
)
def test_connector_mistakes_name_the_connector_and_field(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    message = refused(tmp_path, staging_entry("canteen", "sqlite://") | change)
    assert "connector 'canteen'" in message and expected in message


@pytest.mark.parametrize(
    ("table_change", "expected"),
    [
        ({"event_type": "cn.edu.qinglian.canteen.lunch.v1"}, "not a published contract"),
        ({"fields": {}}, "map at least one contract field"),
        (
            {"fields": {"amount_fen": {"column": "x", "convert": "yuan"}}},
            "unknown converter 'yuan'",
        ),
        ({"fields": {"amount_fen": {"column": "x", "convert": "codes"}}}, "non-empty 'codes'"),
        ({"fields": {"a..b": "x"}}, "malformed field path"),
        ({"fields": {"amount_fen": 12}}, "give a column name"),
        ({"time": {"column": "t", "value": "x"}}, "give a column name"),
    ],
)
def test_mapping_mistakes_name_the_table_and_field(
    tmp_path: Path, table_change: dict[str, Any], expected: str
) -> None:
    entry = staging_entry("canteen", "sqlite://")
    entry["tables"][0] |= table_change
    message = refused(tmp_path, entry)
    assert "tables[0]" in message and expected in message


def test_connector_ids_are_unique(tmp_path: Path) -> None:
    assert "used twice" in refused(
        tmp_path, staging_entry("c", "sqlite://"), staging_entry("c", "sqlite://")
    )


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ConnectorsFileError, match="cannot read"):
        load_connectors(tmp_path / "absent.yaml", {})
    (tmp_path / "empty.yaml").write_text("connectors: []\n")
    with pytest.raises(ConnectorsFileError, match="non-empty 'connectors'"):
        load_connectors(tmp_path / "empty.yaml", {})


def test_relative_folders_are_relative_to_the_file(tmp_path: Path) -> None:
    [drop] = specs(tmp_path, {"id": "d", "kind": "ocds", "folder": "drop/ocds"})
    assert isinstance(drop, OcdsSpec) and drop.folder == tmp_path / "drop" / "ocds"


def test_a_table_is_keyed_by_its_primary_key_by_default(tmp_path: Path) -> None:
    entry = staging_entry("canteen", "sqlite://")
    del entry["tables"][0]["key"]
    [staging] = specs(tmp_path, entry)
    assert isinstance(staging, StagingSpec) and staging.tables[0].mapping.key == ("id",)


def test_connector_ids_are_plain_names(tmp_path: Path) -> None:
    assert "letters, digits" in refused(tmp_path, staging_entry("涪陵 食堂", "sqlite://"))
