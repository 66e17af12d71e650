"""The `qinglian` command: one entry point for every service and operator task.

Each service contributes its own sub-command group from its ``entrypoints``
package; nothing heavy (faust, SQLAlchemy engines, Kafka clients) is imported or
built until a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from contracts.cli import contracts_app
from qinglian import __version__
from qinglian.cli.context import CliState
from qinglian.cli.db import db_app
from qinglian.cli.demo import demo
from qinglian.cli.stack import stack_app
from qinglian.errors import QinglianError
from services.alerting.entrypoints.cli import alerting_app, audit_app
from services.detectors.audit_replay.cli import replay
from services.detectors.entrypoints.cli import detectors_app, evaluate, rules_app
from services.ingest.entrypoints.cli import dlq_app, ingest_app
from services.ingest.simulator.cli import simulate

app = typer.Typer(
    name="qinglian",
    help="清廉 Qinglian — 学校廉洁风险实时监督 / real-time integrity supervision for school systems.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(stack_app, name="stack")
app.add_typer(contracts_app, name="contracts")
app.add_typer(ingest_app, name="ingest")
app.add_typer(dlq_app, name="dlq")
app.add_typer(rules_app, name="rules")
app.add_typer(detectors_app, name="detectors")
app.add_typer(alerting_app, name="alerting")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"qinglian {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="配置文件 / TOML settings file (overrides QINGLIAN_CONFIG_FILE)."
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="版本 / Show the version."
        ),
    ] = False,
) -> None:
    ctx.obj = CliState(config_file=config)


@app.command("config")
def show_config(
    ctx: typer.Context,
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="配置说明表 / Print the README's configuration table instead."
        ),
    ] = False,
) -> None:
    """显示生效配置 / Show the effective settings (secrets masked)."""
    if markdown:
        from qinglian.settings import configuration_table

        typer.echo(configuration_table())
        return
    for name, value in ctx.obj.settings.as_dict().items():
        typer.echo(f"{name} = {value}")


app.command("demo")(demo)
app.command("simulate")(simulate)
app.command("evaluate")(evaluate)
app.command("replay")(replay)


def main() -> None:
    try:
        app()
    except QinglianError as exc:
        typer.echo(f"qinglian: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
