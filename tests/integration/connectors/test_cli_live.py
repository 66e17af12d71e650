"""`qinglian ingest pull run --once` and `pull status` against a real REST source server, a 前置库 on
PostgreSQL and the real broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from qinglian.cli.context import CliState
from services.ingest.connectors.cli import pull_app
from services.ingest.connectors.domain.spec import RestSpec, StagingSpec
from services.ingest.connectors.writers.rest_source import (
    RestSourceStore,
    create_source_app,
    serving,
)
from services.ingest.connectors.writers.staging import StagingWriter
from tests.integration.connectors.conftest import RAW_CANTEEN
from tests.integration.ingest.conftest import TopicTail
from tests.unit.connectors.support import meal_fee, rest_entry, specs, staging_entry

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def logging_configured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command configures logging for its process; here that would point it at the runner's closed stream."""
    services: list[str] = []
    monkeypatch.setattr(
        "qinglian.logging.configure_logging", lambda settings, service: services.append(service)
    )
    return services


def test_run_once_pulls_every_source_and_status_shows_the_watermarks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_database_url: str,
    staging_url: str,
    open_tail: Callable[[str], TopicTail],
    school: str,
    connector_id: str,
    logging_configured: list[str],
) -> None:
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", postgres_database_url)
    monkeypatch.setenv("XUEJI_TOKEN", "token-1")
    store = RestSourceStore()
    raw = open_tail(RAW_CANTEEN)
    with serving(create_source_app(store, token="token-1")) as base_url:
        rest = rest_entry(
            f"{connector_id}-api",
            base_url,
            {"style": "page", "since_param": "updated_since"},
            token_env="XUEJI_TOKEN",
            retry={"attempts": 4, "initial_backoff_seconds": 0.05, "max_backoff_seconds": 0.2},
        )
        staging = staging_entry(f"{connector_id}-db", staging_url)
        config = tmp_path / "connectors.yaml"
        config.write_text(
            yaml.safe_dump({"connectors": [rest, staging]}, allow_unicode=True), encoding="utf-8"
        )
        rest_spec, staging_spec = specs(tmp_path, rest, staging, environ={"XUEJI_TOKEN": "token-1"})
        assert isinstance(rest_spec, RestSpec) and isinstance(staging_spec, StagingSpec)

        store.add_events(
            rest_spec.resources[0],
            [meal_fee(n, school=school) for n in range(1, 6)],
            version="2024-09-01T20:00:00",
        )
        store.fail_next(503, 502)
        engine = sa.create_engine(staging_url)
        StagingWriter(engine).write(
            staging_spec.tables[0],
            [meal_fee(n, school=school) for n in range(11, 14)],
            updated_at=datetime(2024, 9, 1, 21),
        )
        engine.dispose()

        runner = CliRunner()
        result = runner.invoke(
            pull_app, ["run", "--config", str(config), "--once"], obj=CliState(None)
        )
        assert result.exit_code == 0, result.output
        assert (
            f"{connector_id}-api: 3 batch(es); accepted 5, duplicate 0, rejected 0" in result.output
        )
        assert (
            f"{connector_id}-db: 1 batch(es); accepted 3, duplicate 0, rejected 0" in result.output
        )
        assert len(store.requests) == 5, "two failed answers were retried"
        assert logging_configured == ["ingest-pull"]

    subjects = sorted(
        str(record["subject"]) for record in raw.values() if record.get("schoolid") == school
    )
    assert subjects == [f"JF-2024-{n:06d}" for n in [1, 2, 3, 4, 5, 11, 12, 13]]

    status = CliRunner().invoke(
        pull_app, ["status", "--config", str(config), "--json"], obj=CliState(None)
    )
    assert status.exit_code == 0, status.output
    lines = {line["connector"]: line for line in json.loads(status.output)}
    assert lines[f"{connector_id}-db"]["watermark"] == "2024-09-01T21:00:00+08:00"
    assert (
        lines[f"{connector_id}-api"]["position"]
        == "page=3, since=2024-09-01T20:00:00, delivered=1 id"
    )


def test_a_failing_source_fails_the_run_with_a_one_line_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database_url: str, connector_id: str
) -> None:
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", postgres_database_url)
    config = tmp_path / "connectors.yaml"
    entry = staging_entry(connector_id, "postgresql+psycopg://qinglian@127.0.0.1:1/nowhere")
    config.write_text(yaml.safe_dump({"connectors": [entry]}), encoding="utf-8")
    result = CliRunner().invoke(
        pull_app, ["run", "--config", str(config), "--once"], obj=CliState(None)
    )
    assert result.exit_code == 1
    assert f"{connector_id}: 失败 / failed: 前置库无法连接" in result.output
