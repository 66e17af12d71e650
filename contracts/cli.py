"""`qinglian contracts …`: list, validate and regenerate the event contracts."""

from __future__ import annotations

import typer

contracts_app = typer.Typer(help="事件契约 / Event contracts: list types, validate events.", no_args_is_help=True)
