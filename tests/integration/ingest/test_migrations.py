"""The ingest tables under Alembic: `qinglian db upgrade` creates them on an empty database, `db check` finds no
drift, and an ingest process on a database without them stops with one line that says what to run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from qinglian.cli import app
from qinglian.settings import Settings, load_settings
from qinglian.stack import postgres
from services.ingest import bootstrap
from services.ingest.adapters import migrator
from services.ingest.errors import MigrationError

pytestmark = pytest.mark.integration

INGEST_TABLES = {"ingest_dedup", "connector_checkpoints"}
FIRST_REVISION = "5b1e0c7d9a42"


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_admin_url")
    settings: Settings = request.getfixturevalue("settings")
    with postgres.temporary_database(settings, prefix="qinglian_ingest_migrations") as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_creates_the_ingest_tables_and_db_check_finds_no_drift(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"ingest: {migrator.current(empty_database_url)}" in upgraded.output
    assert migrator.current(empty_database_url).endswith("(head)")
    assert INGEST_TABLES | {migrator.VERSION_TABLE, "cases"} <= table_names(empty_database_url)

    checked = runner.invoke(app, ["db", "check"])
    assert checked.exit_code == 0, checked.output
    assert "models and migrations match" in checked.output
    migrator.require_head(empty_database_url)


def test_db_check_reports_an_ingest_table_that_drifted(empty_database_url: str) -> None:
    migrator.upgrade(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE connector_checkpoints"))
    engine.dispose()
    with pytest.raises(
        MigrationError, match="ingest tables and migrations differ.*connector_checkpoints"
    ):
        migrator.check(empty_database_url)


def test_db_check_fails_before_the_upgrade(empty_database_url: str) -> None:
    with pytest.raises(MigrationError, match="run `qinglian db upgrade`"):
        migrator.check(empty_database_url)


def test_downgrade_to_base_leaves_no_ingest_table(empty_database_url: str) -> None:
    from alembic import command

    migrator.upgrade(empty_database_url)
    command.downgrade(migrator.alembic_config(empty_database_url), "base")
    assert not INGEST_TABLES & table_names(empty_database_url)


def test_ingest_services_refuse_to_start_without_the_tables_and_say_what_to_run(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(MigrationError) as refused:
        bootstrap.dedup_store(load_settings(database_url=empty_database_url))
    assert "run `qinglian db upgrade`" in str(refused.value) and "\n" not in str(refused.value)

    monkeypatch.setenv("QINGLIAN_DATABASE_URL", empty_database_url)
    status = CliRunner().invoke(app, ["ingest", "pull", "status"])
    assert status.exit_code != 0
    assert "run `qinglian db upgrade`" in str(status.exception)
    assert not INGEST_TABLES & table_names(empty_database_url), (
        "nothing creates the tables but the migrations"
    )


def test_tables_made_by_the_former_create_all_are_adopted_with_their_rows(
    empty_database_url: str,
) -> None:
    from services.ingest.adapters.dedup_store import SqlDedupStore
    from services.ingest.connectors.adapters.checkpoints import metadata as checkpoint_metadata

    engine = sa.create_engine(empty_database_url)
    try:
        # What the services did at start-up before the migrations, with the tables of that time.
        former_dedup_table(engine)
        checkpoint_metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(sa.text(INSERT_DEDUP_ROW), {"event_id": "e-1"})
        migrator.upgrade(empty_database_url)
        migrator.check(empty_database_url)
        assert SqlDedupStore(engine).seen("fuling-finance", ["e-1", "e-2"]) == {"e-1"}
    finally:
        engine.dispose()


def test_the_dedup_rows_move_to_the_hash_indexed_table_and_back(empty_database_url: str) -> None:
    from alembic import command

    from services.ingest.adapters.dedup_store import SqlDedupStore

    migrator.upgrade(empty_database_url, FIRST_REVISION)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            for event_id in ("e-1", "e-2"):
                connection.execute(sa.text(INSERT_DEDUP_ROW), {"event_id": event_id})
        migrator.upgrade(empty_database_url)
        store = SqlDedupStore(engine)
        assert store.seen("fuling-finance", ["e-1", "e-2", "e-3"]) == {"e-1", "e-2"}
        second_push = datetime(2026, 11, 2, tzinfo=UTC)
        with store.claim("fuling-finance", ["e-2", "e-3"], second_push) as claim:
            claim.keep(["e-2", "e-3"])  # e-2 twice

        command.downgrade(migrator.alembic_config(empty_database_url), FIRST_REVISION)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT event_id, stored_at FROM ingest_dedup ORDER BY event_id")
            ).all()
            primary_key = sa.inspect(connection).get_pk_constraint("ingest_dedup")
        assert [event_id for event_id, _ in rows] == ["e-1", "e-2", "e-3"]
        assert primary_key["constrained_columns"] == ["source_id", "event_id"]
    finally:
        engine.dispose()


INSERT_DEDUP_ROW = (
    "INSERT INTO ingest_dedup (source_id, event_id, stored_at) "
    "VALUES ('fuling-finance', :event_id, '2026-11-01 00:00:00+00:00')"
)


def former_dedup_table(engine: sa.Engine) -> None:
    sa.Table(
        "ingest_dedup",
        sa.MetaData(),
        sa.Column("source_id", sa.String(128), primary_key=True),
        sa.Column("event_id", sa.String(256), primary_key=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    ).create(engine)


def test_db_upgrade_to_a_revision_names_the_service_whose_revision_it_is(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    ambiguous = runner.invoke(app, ["db", "upgrade", FIRST_REVISION])
    assert ambiguous.exit_code != 0 and "--service" in str(ambiguous.exception)
    assert not table_names(empty_database_url)

    upgraded = runner.invoke(app, ["db", "upgrade", FIRST_REVISION, "--service", "ingest"])
    assert upgraded.exit_code == 0, upgraded.output
    assert INGEST_TABLES <= table_names(empty_database_url) and "cases" not in table_names(
        empty_database_url
    )
