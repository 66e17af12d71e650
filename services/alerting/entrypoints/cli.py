"""`qinglian alerting …`, `qinglian db …` and `qinglian audit …`: the alerting service's commands."""

from __future__ import annotations

import typer

alerting_app = typer.Typer(help="处置 / Alerting: cases, workflow, console.", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / Case database migrations.", no_args_is_help=True)
audit_app = typer.Typer(help="审计 / Audit: verify tamper-evident histories.", no_args_is_help=True)
