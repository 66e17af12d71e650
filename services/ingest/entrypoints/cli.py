"""`qinglian ingest …` and `qinglian dlq …`: the ingest service's commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from qinglian.errors import ConfigurationError
from services.ingest.config import PushOptions, default_workers
from services.ingest.connectors.cli import pull_app
from services.ingest.errors import RedriveRefused

ingest_app = typer.Typer(
    help="数据接入 / Ingest: push API and pull connectors.", no_args_is_help=True
)
ingest_app.add_typer(pull_app, name="pull")
dlq_app = typer.Typer(
    help="死信 / Dead letters: list, show and re-send rejected events.", no_args_is_help=True
)


@ingest_app.command()
def serve(
    ctx: typer.Context,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="来源文件 / Sources file (YAML or TOML): ids, keys, permissions "
            "(default: QINGLIAN_INGEST_SOURCES_FILE).",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(help="监听地址 / Address to listen on (default: QINGLIAN_BIND_HOST)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="端口 / Port (default: QINGLIAN_INGEST_PORT).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="工作进程数 / Worker processes sharing the port "
            "(default: QINGLIAN_INGEST_WORKERS, else one per core, at most 4; /metrics sums them).",
        ),
    ] = None,
) -> None:
    """推送接口 / Serve POST /v1/events (and /metrics on QINGLIAN_INGEST_METRICS_PORT)."""
    from services.ingest import bootstrap

    settings = ctx.obj.settings
    sources_file = sources or settings.ingest_sources_file
    if sources_file is None:
        raise ConfigurationError(
            "no sources file: pass --sources FILE or set QINGLIAN_INGEST_SOURCES_FILE"
        )
    options = PushOptions.from_settings(settings)
    bootstrap.serve(
        settings,
        sources_file=sources_file,
        host=host or settings.bind_host,
        port=port or settings.ingest_port,
        options=options,
        workers=workers or settings.ingest_workers or default_workers(),
    )


@dlq_app.command("list")
def list_deadletters(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option(help="最多显示条数（最新的）/ Show at most this many (newest).")
    ] = 20,
    source: Annotated[str | None, typer.Option(help="只看此来源 / Only this source.")] = None,
) -> None:
    """列出死信 / List rejected events, newest last, with their first reason."""
    from services.ingest import bootstrap
    from services.ingest.domain.deadletter import history

    letters = [
        letter
        for letter in history(bootstrap.deadletter_reader(ctx.obj.settings).records())
        if source is None or letter.source == source
    ]
    letters.sort(key=lambda letter: letter.at)
    for letter in letters[-limit:] if limit > 0 else []:
        first = letter.reasons[0] if letter.reasons else None
        reason = f"{first.path or '(event)'} [{first.rule}]" if first else "-"
        state = "redriven" if letter.redriven else "open"
        typer.echo(
            f"{letter.deadletter_id}  {letter.at}  {letter.stage:<4}  {letter.source}  "
            f"{letter.event_type or '-'}  {letter.event_id or '-'}  {reason}  {state}"
        )
    typer.echo(f"{len(letters)} dead letter(s)" + (f" from {source}" if source else ""), err=True)


@dlq_app.command()
def show(ctx: typer.Context, deadletter_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """查看死信 / Show one dead letter: payload, reasons and re-sends, as JSON."""
    from services.ingest import bootstrap
    from services.ingest.service_layer.redrive import find

    letter = find(bootstrap.deadletter_reader(ctx.obj.settings), deadletter_id)
    shown = {
        "id": letter.deadletter_id,
        "stage": letter.stage,
        "source": letter.source,
        "at": letter.at,
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "school_id": letter.school_id,
        "reasons": [{"path": r.path, "rule": r.rule, "message": r.message} for r in letter.reasons],
        "payload": letter.payload,
        "redrives": list(letter.redrives),
    }
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@dlq_app.command()
def redrive(
    ctx: typer.Context,
    deadletter_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="修正后的事件 / The fixed event (JSON); default: the payload as stored."
        ),
    ] = None,
) -> None:
    """重发死信 / Validate the (fixed) event, publish it to its raw topic and record the re-send."""
    from services.ingest import bootstrap
    from services.ingest.service_layer import redrive as redrive_use_case

    fixed = _read_event(file) if file else None
    settings = ctx.obj.settings
    with bootstrap.redrive_session(settings) as ingestion:
        done = redrive_use_case.redrive(
            ingestion,
            bootstrap.deadletter_reader(settings),
            deadletter_id,
            fixed=fixed,
            at=datetime.now(UTC),
        )
    typer.echo(
        f"已重发 / re-sent event {done.event_id} to {done.topic} (history record {done.redrive_id})"
    )


def _read_event(path: Path) -> dict[str, object]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RedriveRefused(f"无法读取修正文件 / cannot read {path}: {exc}") from exc
    if not isinstance(event, dict):
        raise RedriveRefused(
            f"修正文件须为一个 JSON 对象 / {path} must hold one JSON object (one event)"
        )
    return event
