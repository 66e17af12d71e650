"""`qinglian ingest …` and `qinglian dlq …`: the ingest service's commands."""

from __future__ import annotations

import typer

ingest_app = typer.Typer(help="数据接入 / Ingest: push API and pull connectors.", no_args_is_help=True)
dlq_app = typer.Typer(help="死信 / Dead letters: list, show and re-send rejected events.", no_args_is_help=True)
