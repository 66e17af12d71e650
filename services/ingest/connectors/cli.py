"""`qinglian ingest pull …`: run the pull connectors and show where they stand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

pull_app = typer.Typer(
    help="拉取连接器 / Pull connectors: staging databases, REST APIs, drop folders, OCDS.",
    no_args_is_help=True,
)

ConnectorsFile = Annotated[
    Path,
    typer.Option(
        "--config", help="连接器文件 / Connectors file (YAML), see example-connectors.yaml."
    ),
]


@pull_app.command("run")
def run(
    ctx: typer.Context,
    config: ConnectorsFile,
    once: Annotated[
        bool,
        typer.Option("--once", help="拉取到无新数据后退出 / Drain every source once, then exit."),
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="只运行此连接器 / Only this connector id.")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="指标端口 / Serve /metrics here (default: QINGLIAN_INGEST_PULL_METRICS_PORT; 0: off)."
        ),
    ] = None,
) -> None:
    """运行连接器 / Pull every configured source: each poll interval, or once with --once."""
    from qinglian.logging import configure_logging
    from services.ingest.connectors import bootstrap

    settings = ctx.obj.settings
    configure_logging(settings, "ingest-pull")
    port = settings.ingest_pull_metrics_port if metrics_port is None else metrics_port
    outcomes = bootstrap.run(settings, config, only=source, once=once, metrics_port=port)
    for outcome in outcomes:
        typer.echo(
            outcome.summary.line()
            if outcome.summary
            else f"{outcome.connector_id}: 失败 / failed: {outcome.error}"
        )
    failed = [outcome.connector_id for outcome in outcomes if outcome.error]
    if failed:
        typer.echo(
            f"qinglian: error: 连接器失败 / connector(s) failed: {', '.join(failed)}", err=True
        )
        raise typer.Exit(1)


@pull_app.command("status")
def status(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="连接器文件 / Also list configured connectors that never ran."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 / Print JSON.")] = False,
) -> None:
    """检查点 / Watermark and checkpoint of each connector, from the database."""
    from services.ingest.connectors import bootstrap

    lines = bootstrap.status(ctx.obj.settings, config)
    if as_json:
        typer.echo(json.dumps([line.as_dict() for line in lines], ensure_ascii=False, indent=2))
        return
    for line in lines:
        watermark = line.watermark.isoformat() if line.watermark else "-"
        lag = f"{line.lag_seconds:.0f}s" if line.lag_seconds is not None else "-"
        typer.echo(
            f"{line.connector_id}  {line.stream}  watermark={watermark}  lag={lag}  {line.position}"
        )
