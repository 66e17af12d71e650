"""The sources file: YAML or TOML, secrets from the environment, consistency checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest.adapters.sources_file import load_sources
from services.ingest.errors import SourcesFileError

YAML = """
sources:
  - id: fuling-finance
    name: 涪陵区数字财务平台
    keys:
      - id: "2025-03"
        secret_env: FULING_FINANCE_KEY_OLD
      - id: "2025-09"
        secret: inline-secret
    event_types: ["cn.edu.qinglian.finance.*"]
    school_ids: ["500102*"]
"""

TOML = """
[[sources]]
id = "canteen-platform"
keys = [{ id = "k1", secret = "s1" }]
event_types = ["cn.edu.qinglian.canteen.meal_service.v1"]
school_ids = ["*"]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_with_secret_from_environment(tmp_path: Path) -> None:
    registry = load_sources(
        write(tmp_path, "sources.yaml", YAML), {"FULING_FINANCE_KEY_OLD": "from-env"}
    )
    source = registry.get("fuling-finance")
    assert source is not None
    assert [(key.key_id, key.secret) for key in source.keys] == [
        ("2025-03", b"from-env"),
        ("2025-09", b"inline-secret"),
    ]
    assert source.may_publish_type("cn.edu.qinglian.finance.payment_voucher.v1")
    assert not source.may_publish_type("cn.edu.qinglian.canteen.meal_service.v1")
    assert source.may_publish_school("500102001") and not source.may_publish_school("500103001")
    assert "from-env" not in repr(source)


def test_toml(tmp_path: Path) -> None:
    registry = load_sources(write(tmp_path, "sources.toml", TOML), {})
    assert len(registry) == 1 and registry.get("canteen-platform") is not None


@pytest.mark.parametrize(
    ("text", "environ", "fragment"),
    [
        (YAML, {}, "FULING_FINANCE_KEY_OLD is not set"),
        ("sources: []", {}, "non-empty 'sources' list"),
        ("sources: [{id: a, keys: [], event_types: ['*'], school_ids: ['*']}]", {}, "needs 1 or 2"),
        (
            (
                "sources: [{id: a, keys: [{id: k, secret: s}, {id: k2, secret: s},"
                " {id: k3, secret: s}], event_types: ['*'], school_ids: ['*']}]"
            ),
            {},
            "has 3 keys",
        ),
        (
            "sources: [{id: a, keys: [{id: k, secret: s}], event_types: [], school_ids: ['*']}]",
            {},
            "no event types",
        ),
        (
            (
                "sources: [{id: a, keys: [{id: k, secret_env: QINGLIAN_KEY}],"
                " event_types: ['*'], school_ids: ['*']}]"
            ),
            {},
            "must not start with QINGLIAN_",
        ),
        (
            "sources: [{id: a, keys: [{id: k}], event_types: ['*'], school_ids: ['*']}]",
            {},
            "needs 'secret_env' or 'secret'",
        ),
        (
            (
                "sources: [{id: a, keys: [{id: k, secret: s}], event_types: ['*'], school_ids: ['*']},"
                " {id: a, keys: [{id: k, secret: s}], event_types: ['*'], school_ids: ['*']}]"
            ),
            {},
            "defined twice",
        ),
        ("sources: [unclosed", {}, "not valid"),
    ],
)
def test_inconsistent_files_are_refused(
    tmp_path: Path, text: str, environ: dict[str, str], fragment: str
) -> None:
    with pytest.raises(SourcesFileError, match=fragment):
        load_sources(write(tmp_path, "sources.yaml", text), environ)


def test_a_pull_only_source_needs_no_key_and_may_not_push(tmp_path: Path) -> None:
    text = (
        "sources: [{id: xueji, push: false, event_types: ['cn.edu.qinglian.enrollment.*'],"
        " school_ids: ['*']}]"
    )
    source = load_sources(write(tmp_path, "sources.yaml", text), {}).get("xueji")
    assert source is not None
    assert (source.may_push, source.keys) == (False, ())


@pytest.mark.parametrize(
    "keys", ["", "keys: [], ", "push: true, "], ids=["no keys", "empty keys", "push: true"]
)
def test_a_source_that_pushes_without_a_key_is_a_one_line_error(tmp_path: Path, keys: str) -> None:
    text = f"sources: [{{id: finance, {keys}event_types: ['*'], school_ids: ['*']}}]"
    with pytest.raises(SourcesFileError) as refused:
        load_sources(write(tmp_path, "sources.yaml", text), {})
    message = str(refused.value)
    assert "source 'finance'" in message and "push: false" in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="cannot read"):
        load_sources(tmp_path / "nope.yaml", {})


def test_the_shipped_example_file_loads() -> None:
    example = Path(__file__).resolve().parents[3] / "services" / "ingest" / "sources.example.yaml"
    environ = {"FULING_FINANCE_KEY": "a", "FULING_CANTEEN_KEY_OLD": "b", "FULING_CANTEEN_KEY": "c"}
    registry = load_sources(example, environ)
    assert sorted(registry.sources) == ["fuling-canteen", "fuling-finance", "fuling-xueji"]


def test_the_deployed_sources_file_loads_with_its_pull_only_source_keyless() -> None:
    deployed = Path(__file__).resolve().parents[3] / "deploy" / "ingest" / "sources.yaml"
    environ = {"FULING_FINANCE_KEY": "a", "FULING_CANTEEN_KEY_OLD": "b", "FULING_CANTEEN_KEY": "c"}
    registry = load_sources(deployed, environ)
    assert (
        {source.source_id for source in registry.sources.values() if not source.keys}
        == {source.source_id for source in registry.sources.values() if not source.may_push}
        != set()
    )
