"""``qinglian replay`` refuses a bad request before it touches Kafka, with a message to act on."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from qinglian.cli.context import CliState
from qinglian.settings import Settings
from services.detectors.audit_replay.cli import replay
from services.detectors.errors import DetectorError


def run(*arguments: str) -> None:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(
            config_file=None, _settings=Settings(kafka_bootstrap_servers="127.0.0.1:9")
        )

    app.command("replay")(replay)
    CliRunner().invoke(app, ["replay", *arguments], catch_exceptions=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["--from", "yesterday", "--to", "2026-09-10"], "--from 'yesterday'", id="bad time"
        ),
        pytest.param(
            ["--from", "2026-09-10", "--to", "2026-09-01"], "must be after --from", id="empty range"
        ),
        pytest.param(
            ["--from", "2026-09-01", "--to", "2026-09-10", "--warmup", "a month"],
            "--warmup",
            id="bad warm-up",
        ),
        pytest.param(
            ["--from", "2026-09-01", "--to", "2026-09-10", "--rule", "X9"],
            "--rule X9",
            id="unknown rule",
        ),
        pytest.param(
            ["--from", "2026-09-01", "--to", "2026-09-10", "--topic", "alerts"],
            "--topic 'alerts'",
            id="bad topic",
        ),
    ],
)
def test_a_bad_request_is_refused_before_reading(arguments: list[str], message: str) -> None:
    with pytest.raises(DetectorError, match=message):  # each a one-line error on the command line
        run(*arguments)


def test_help_puts_chinese_first() -> None:
    app = typer.Typer()
    app.command("replay")(replay)
    app.command("other")(lambda: None)
    output = CliRunner().invoke(app, ["replay", "--help"], terminal_width=200).output
    assert "审计回放 / Replay a time range" in output
    assert "--warmup" in output and "--grace" in output and "--rules" in output
