"""`qinglian simulate`: run the district simulator and send its output to files, the push API or both.

The imperative shell: it reads settings and options, builds the sinks, shows
progress, and leaves everything else to the pure generation core.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Annotated, Self

import typer

from qinglian.settings import Settings, load_settings
from services.ingest.simulator.context import CHINA
from services.ingest.simulator.emissions import Emission, SimulatedEvent
from services.ingest.simulator.errors import ScenarioError, SinkError
from services.ingest.simulator.manifest import ManifestCounter
from services.ingest.simulator.scenario import DEFAULT_ANOMALY_RATE, DEFAULT_START, Scenario
from services.ingest.simulator.simulation import Simulation
from services.ingest.simulator.sinks.base import Sink, TeeSink, run
from services.ingest.simulator.sinks.files import FileSink

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
    progress: Annotated[bool, typer.Option(help="进度条 / Show a progress bar on stderr.")] = True,
) -> None:
    """模拟区县数据 / Simulate a school district: normal activity plus injected anomalies with ground truth."""
    settings = _settings(ctx)
    scenario = Scenario(
        seed=seed,
        schools=schools,
        days=days,
        start=_date(start),
        anomaly_rate=anomaly_rate,
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
    )
    simulation = Simulation.prepare(scenario)
    folder = out or (None if push else DEFAULT_OUT)
    sink = _sinks(folder, push, source_id, key_id, secret_file)
    if compress_time is not None:
        from services.ingest.simulator.sinks.paced import PacedSink

        origin = datetime.combine(scenario.start, clock_time.min, CHINA)
        sink = PacedSink(
            sink,
            seconds_per_day=compress_time,
            scenario_start=origin,
            monotonic=time.monotonic,
            sleep=time.sleep,
        )
    with _ProgressBar(scenario, enabled=progress) as bar:
        manifest = run(
            simulation.emissions(),
            sink,
            ManifestCounter(scenario, simulation.not_injected),
            progress=bar.update,
        )
    where = f" → {folder}" if folder else ""
    typer.echo(
        f"已生成 {manifest.events} 个事件、{sum(manifest.anomalies_by_rule.values())} 条异常真值 / {manifest.events} events, "
        f"{sum(manifest.anomalies_by_rule.values())} ground-truth records{where}"
    )
    for rule, reason in sorted(manifest.not_injected.items()):
        typer.echo(f"未注入 {rule} / not injected: {reason}")


def _settings(ctx: typer.Context) -> Settings:
    state = ctx.obj
    return state.settings if state is not None else load_settings()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioError(
            f"日期格式错误 / --start {text!r} is not a date like 2025-09-01"
        ) from exc


def _sinks(
    folder: Path | None, push: str | None, source_id: str, key_id: str, secret_file: Path | None
) -> Sink:
    sinks: list[Sink] = []
    if push:
        sinks.append(_push_sink(push, source_id, key_id, secret_file))
    if folder:
        sinks.append(FileSink(folder, events=not push))
    return sinks[0] if len(sinks) == 1 else TeeSink(*sinks)


def _push_sink(url: str, source_id: str, key_id: str, secret_file: Path | None) -> Sink:
    import httpx

    from services.ingest.domain.sources import SigningKey
    from services.ingest.simulator.sinks.push import PushSink

    if secret_file is None:
        raise SinkError(
            "推送需要密钥 / --push needs --secret-file with the source's signing secret"
        )
    try:
        secret = secret_file.read_bytes().strip()
    except OSError as exc:
        raise SinkError(f"无法读取密钥文件 / cannot read {secret_file}: {exc.strerror}") from exc
    client = httpx.Client(base_url=url, timeout=30.0)
    return PushSink(
        client,
        source_id=source_id,
        key=SigningKey(key_id, secret),
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
    )


class _ProgressBar:
    """Simulated days done, on stderr; the events before the scenario (roll, lead-in) count as day 0."""

    def __init__(self, scenario: Scenario, *, enabled: bool) -> None:
        from tqdm import tqdm

        self._scenario = scenario
        self._bar = tqdm(
            total=scenario.days,
            unit="天/day",
            file=sys.stderr,
            disable=not enabled,
            desc="模拟 / simulating",
        )
        self._done = 0
        self._events = 0

    def update(self, emission: Emission) -> None:
        if not isinstance(emission, SimulatedEvent):
            return
        self._events += 1
        reached = min((emission.time.date() - self._scenario.start).days, self._scenario.days)
        if reached > self._done:
            self._bar.update(reached - self._done)
            self._done = reached
            self._bar.set_postfix(events=self._events)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.update(self._scenario.days - self._done)
        self._bar.close()
