"""`qinglian rules …` and `qinglian detectors …`: the detectors' commands."""

from __future__ import annotations

import typer

rules_app = typer.Typer(help="规则 / Detection rules: list, show, batch OCDS evaluation.", no_args_is_help=True)
detectors_app = typer.Typer(help="检测 / Streaming detector workers (faust-streaming).", no_args_is_help=True)
