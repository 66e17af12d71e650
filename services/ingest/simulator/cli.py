"""`qinglian simulate`: run the district simulator and send its output to files, the push API, the pull sources.

Only typer and the scenario's defaults are imported here, so registering the
command costs the `qinglian` CLI nothing; the simulator loads when it runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from services.ingest.simulator.errors import ScenarioError
from services.ingest.simulator.scenario import DEFAULT_ANOMALY_RATE, DEFAULT_START, Scenario

DEFAULT_OUT = Path("simulated-district")


def simulate(
    ctx: typer.Context,
    schools: Annotated[int, typer.Option(help="学校数量 / Number of schools (1–10,000).")] = 50,
    days: Annotated[int, typer.Option(help="模拟天数 / Days of normal activity.")] = 30,
    seed: Annotated[
        int, typer.Option(help="随机种子 / Seed: the same seed gives the same output.")
    ] = 1,
    start: Annotated[
        str, typer.Option(help="起始日期 / First day (YYYY-MM-DD).")
    ] = DEFAULT_START.isoformat(),
    anomaly_rate: Annotated[
        float,
        typer.Option(help="异常比例 / Anomalies per rule and school (at least one per rule)."),
    ] = DEFAULT_ANOMALY_RATE,
    out: Annotated[
        Path | None,
        typer.Option(
            help="输出目录 / Folder for NDJSON per domain, ground_truth.jsonl, manifest.json."
        ),
    ] = None,
    push: Annotated[
        str | None, typer.Option(help="推送地址 / Push API base URL, e.g. http://127.0.0.1:8100.")
    ] = None,
    source_id: Annotated[
        str, typer.Option(help="来源标识 / Registered source id for --push.")
    ] = "district-simulator",
    key_id: Annotated[
        str, typer.Option(help="密钥编号 / Signing key id for --push.")
    ] = "simulator",
    secret_file: Annotated[
        Path | None, typer.Option(help="密钥文件 / File holding the signing secret for --push.")
    ] = None,
    compress_time: Annotated[
        float | None,
        typer.Option(help="时间压缩 / Wall-clock seconds per simulated day (live demo)."),
    ] = None,
    connectors: Annotated[
        Path | None,
        typer.Option(
            help="连接器文件 / Connectors file: events of the types its connectors read go to their sources "
            "(drop-folder exports, staging-database rows, REST records, OCDS releases); the rest go to "
            "--push / --out."
        ),
    ] = None,
    rest_source: Annotated[
        Path | None,
        typer.Option(
            help="REST 源目录 / Folder keeping the records of the connectors file's rest_api connectors, one "
            "JSON-lines file per resource (`qinglian demo` serves it at their base_url)."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="进度条 / Show a progress bar on stderr.")] = True,
) -> None:
    """模拟区县数据 / Simulate a school district: normal activity plus injected anomalies with ground truth."""
    from services.ingest.simulator.runner import Outputs, simulate_to

    scenario = Scenario(
        seed=seed,
        schools=schools,
        days=days,
        start=_date(start),
        anomaly_rate=anomaly_rate,
        pseudonym_key=_pseudonym_key(ctx),
    )
    folder = out or (None if push else DEFAULT_OUT)
    outputs = Outputs(
        folder, push, source_id, key_id, secret_file, compress_time, connectors, rest_source
    )
    manifest = simulate_to(scenario, outputs, progress=progress)
    anomalies = sum(manifest.anomalies_by_rule.values())
    where = f" → {folder}" if folder else ""
    typer.echo(
        f"已生成 {manifest.events} 个事件、{anomalies} 条异常真值 / {manifest.events} events, {anomalies} ground-truth records{where}"
    )
    for rule, reason in sorted(manifest.not_injected.items()):
        typer.echo(f"未注入 {rule} / not injected: {reason}")


def _pseudonym_key(ctx: typer.Context) -> bytes:
    """The ingest key from the CLI's settings, so ground-truth subjects match what the detectors see."""
    if ctx.obj is not None:
        settings = ctx.obj.settings
    else:
        from qinglian.settings import load_settings

        settings = load_settings()
    return settings.pseudonym_key.get_secret_value().encode()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioError(
            f"日期格式错误 / --start {text!r} is not a date like 2025-09-01"
        ) from exc
