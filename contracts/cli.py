"""`qinglian contracts …`: list, validate and regenerate the event contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from contracts.errors import ContractViolation, Violation

contracts_app = typer.Typer(
    help="事件契约 / Event contracts: list types, validate events.", no_args_is_help=True
)


@contracts_app.command("list")
def list_types() -> None:
    """列出事件类型 / List every event type with its Chinese and English title."""
    from contracts.registry import event_types

    for info in event_types():
        typer.echo(f"{info.type:<50} {info.title_zh} / {info.title_en}")


@contracts_app.command()
def validate(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="JSON 或 NDJSON 文件 / A JSON event, a JSON array of events, or NDJSON.",
        ),
    ],
) -> None:
    """校验事件 / Validate events against their contracts; exits 1 if any is invalid."""
    from contracts.registry import validate as validate_event

    invalid = 0
    for number, item in enumerate(read_events(file.read_text(encoding="utf-8")), start=1):
        try:
            if isinstance(item, Violation):
                raise ContractViolation([item])
            validate_event(item)
        except ContractViolation as exc:
            invalid += 1
            typer.echo(f"✘ #{number} {_event_id(item)}")
            for violation in exc.violations:
                typer.echo(f"    {violation}")
        else:
            typer.echo(f"✔ #{number} {_event_id(item)} {item['type']}")
    if invalid:
        typer.echo(f"{invalid} 个事件无效 / {invalid} invalid event(s)", err=True)
        raise typer.Exit(1)


@contracts_app.command()
def generate() -> None:
    """生成类型 / Regenerate contracts/types.py from the JSON Schema files."""
    from contracts.codegen import write_types

    typer.echo(f"已生成 / wrote {write_types()}")


@contracts_app.command()
def lock() -> None:
    """锁定已发布模式 / Check the schemas against contracts/published/ and update the lock."""
    from contracts.published import lock as lock_schemas

    written = lock_schemas()
    typer.echo(f"已锁定 {len(written)} 个模式 / locked {len(written)} schemas")


def read_events(text: str) -> list[dict[str, Any] | Violation]:
    """A JSON event, a JSON array of events, or NDJSON; what is not a JSON object becomes a Violation."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [_as_event(_parse_line(line)) for line in text.splitlines() if line.strip()]
    return [_as_event(item) for item in (document if isinstance(document, list) else [document])]


def _parse_line(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return Violation("", "json", f"JSON 解析失败 / not JSON: {exc.msg} at column {exc.colno}")


def _as_event(value: Any) -> dict[str, Any] | Violation:
    if isinstance(value, dict | Violation):
        return value
    return Violation("", "type", "事件必须是 JSON 对象 / an event must be a JSON object")


def _event_id(item: dict[str, Any] | Violation) -> str:
    return str(item.get("id", "?")) if isinstance(item, dict) else ""
