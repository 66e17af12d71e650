"""`qinglian rules …` and `qinglian detectors …`: the detectors' commands."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

rules_app = typer.Typer(
    help="规则 / Detection rules: list, show, batch OCDS evaluation.", no_args_is_help=True
)
detectors_app = typer.Typer(
    help="检测 / Streaming detector workers (faust-streaming).", no_args_is_help=True
)
quarantine_app = typer.Typer(
    help="隔离 / Rule steps that hung a worker, skipped by every worker and replay since.",
    no_args_is_help=True,
)
detectors_app.add_typer(quarantine_app, name="quarantine")


RulesFileOption = Annotated[
    Path | None,
    typer.Option(
        "--rules", help="规则文件 / Rules file (TOML or YAML; default: the shipped rules.toml)."
    ),
]
DistrictOption = Annotated[
    Path | None,
    typer.Option(
        "--district", help="区县覆盖 / District override file, e.g. districts/chongqing.yaml."
    ),
]


@rules_app.command("list")
def list_rules(rules: RulesFileOption = None, district: DistrictOption = None) -> None:
    """列出规则 / List every rule: id, kind, severity, titles, citation and parameters."""
    from services.detectors.core.config import load_rule_set
    from services.detectors.describe import header, summary

    rule_set = load_rule_set(rules, district)
    typer.echo(header(rule_set))
    for config in rule_set.rules:
        typer.echo("\n".join(summary(config)))


@rules_app.command("show")
def show_rule(
    rule_id: Annotated[str, typer.Argument(help="规则编号 / Rule id, e.g. P3.")],
    rules: RulesFileOption = None,
    district: DistrictOption = None,
) -> None:
    """规则详情 / Show one rule: metadata, effective parameters and its documentation."""
    from services.detectors.core.config import load_rule_set
    from services.detectors.describe import details

    rule_set = load_rule_set(rules, district)
    typer.echo("\n".join(details(rule_set.get(rule_id.upper()))))


@rules_app.command("defaults")
def print_defaults() -> None:
    """默认规则文件 / Print a rules file with the catalogue's defaults (the shipped rules.toml)."""
    from services.detectors.core.config import DEFAULT_LATENESS_MINUTES, DEFAULT_RULES_VERSION
    from services.detectors.core.rulesfile import render_defaults
    from services.detectors.rules.catalogue import all_rules

    typer.echo(
        render_defaults(
            all_rules(),
            version=DEFAULT_RULES_VERSION,
            allowed_lateness_minutes=DEFAULT_LATENESS_MINUTES,
        ),
        nl=False,
    )


@detectors_app.command("worker")
def detectors_worker(
    ctx: typer.Context,
    rules: RulesFileOption = None,
    district: DistrictOption = None,
    web_port: Annotated[
        int,
        typer.Option(
            "--web-port", help="faust 网页端口 / faust web port, one per worker on a host."
        ),
    ] = 6066,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            help="指标端口 / /metrics port (default: QINGLIAN_DETECTORS_METRICS_PORT).",
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", min=1, help="每批最多事件数 / Events per batch at most (default 4000)."
        ),
    ] = None,
) -> None:
    """启动检测 worker / Start a detector worker; several workers share the partitions."""
    from services.detectors.core.config import load_rule_set
    from services.detectors.runtime.app import RuntimeOptions
    from services.detectors.runtime.worker import run_worker

    settings = ctx.obj.settings
    options = RuntimeOptions(web_port=web_port)
    if batch_size is not None:
        options = dataclasses.replace(options, batch_size=batch_size)
    run_worker(
        settings,
        load_rule_set(rules, district),
        metrics_port=metrics_port if metrics_port is not None else settings.detectors_metrics_port,
        options=options,
    )


@detectors_app.command("clock")
def detectors_clock(
    ctx: typer.Context,
    through: Annotated[
        str,
        typer.Option(
            "--through",
            help="事件时间已到此刻 / Every source has sent its events up to this time (RFC 3339, "
            "China Standard Time without an offset, or a date: its midnight). Not later than now.",
        ),
    ],
) -> None:
    """声明事件时间 / Declare that event time has reached a moment: windows and deadlines up to it close
    (after the allowed lateness) although no later event has arrived, e.g. over a term break."""
    from datetime import UTC

    from qinglian import broker
    from services.detectors.core.eventtime import parse_moment
    from services.detectors.errors import DetectorError
    from services.detectors.runtime.clock import declare_clock

    moment = parse_moment(through, option="--through")
    if moment > datetime.now(UTC):
        raise DetectorError(
            f"--through {through!r}: 晚于当前时间 / is later than now: no source can have sent events from the future"
        )
    broker.ensure_topics(ctx.obj.settings)
    partitions = declare_clock(ctx.obj.settings, moment)
    typer.echo(
        f"已声明事件时间 / event time declared through {moment.isoformat()} ({partitions} partitions)"
    )


@quarantine_app.command("list")
def quarantine_list(ctx: typer.Context) -> None:
    """列出隔离的规则步骤 / List the quarantined rule steps: rule, event or timer, how long it ran, where."""
    from services.detectors.runtime.quarantine import Quarantine

    entries = Quarantine(ctx.obj.settings).read()
    for label, entry in sorted(entries.items(), key=lambda item: item[1]["at"]):
        typer.echo(
            f"{entry['at']}  {label}  ran {entry['ran_seconds']} s  {entry['batch']}  ({entry['worker']})"
        )
    typer.echo(f"{len(entries)} quarantined step(s)", err=True)


@quarantine_app.command("release")
def quarantine_release(
    ctx: typer.Context, step: Annotated[str, typer.Argument(metavar="STEP")]
) -> None:
    """解除隔离 / Run a quarantined step again (its label as `list` prints it), e.g. once the data it
    hung on is understood; if it still hangs, the stall watch quarantines it again."""
    from services.detectors.runtime.quarantine import Quarantine

    Quarantine(ctx.obj.settings).release(step)
    typer.echo(
        f"已解除隔离 / released: {step}; workers run it again once they next read the quarantine (every lag interval, 15 s by default)"
    )


@detectors_app.command("replay")
def detectors_replay(
    ctx: typer.Context,
    start: Annotated[
        str | None,
        typer.Option("--from", help="起 / From this Kafka time (inclusive; RFC 3339 or a date)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="止 / To this Kafka time (exclusive; RFC 3339, or a date, included)."
        ),
    ] = None,
    rules: RulesFileOption = None,
    district: DistrictOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="输出 / Write the alerts as JSON lines to this file."),
    ] = None,
) -> None:
    """回放 / Run the rules over a range of the raw topics (read-only plain consumer) and print the alerts."""
    from collections import Counter
    from datetime import UTC

    import orjson

    from services.detectors.core.config import load_rule_set
    from services.detectors.core.eventtime import parse_moment
    from services.detectors.runtime.replay import replay

    result = replay(
        ctx.obj.settings,
        load_rule_set(rules, district),
        start=None if start is None else parse_moment(start, option="--from"),
        end=None if end is None else parse_moment(end, option="--to", end_of_day=True),
        detected_at=datetime.now(UTC),
    )
    lines = [orjson.dumps(alert.to_dict()) for alert in result.alerts]
    if out is not None:
        out.write_bytes(b"".join(line + b"\n" for line in lines))
    else:
        for line in lines:
            typer.echo(line.decode())
    by_rule = Counter(alert.rule_id for alert in result.alerts)
    summary = ", ".join(f"{rule} {count}" for rule, count in sorted(by_rule.items())) or "none"
    typer.echo(
        f"事件 / events: {result.events}; 预警 / alerts: {len(result.alerts)} ({summary}); "
        f"无法使用 / unusable records: {len(result.rejected)}; 规则错误 / rule errors: {len(result.rule_errors)}",
        err=True,
    )


def evaluate(
    ctx: typer.Context,
    replay_only: Annotated[
        bool,
        typer.Option(
            "--replay-only",
            help="仅回放 / Feed the events straight into the engine (fast, no Kafka).",
        ),
    ] = False,
    simulation: Annotated[
        Path | None,
        typer.Option(
            "--simulation", help="模拟输出 / A `qinglian simulate --out` directory to use instead."
        ),
    ] = None,
    schools: Annotated[
        int | None, typer.Option("--schools", help="学校数 / Scenario size (simulator default).")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="天数 / Scenario days (simulator default).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="随机种子 / Scenario seed (simulator default).")
    ] = None,
    rules: RulesFileOption = None,
    district: DistrictOption = None,
) -> None:
    """评估 / Run the simulator's scenario through the detectors; print precision and recall per rule."""
    from datetime import UTC

    from services.detectors.core.config import load_rule_set
    from services.detectors.runtime import evaluate as runner
    from services.detectors.runtime.evaluation import (
        alert_key,
        changes_from_shipped,
        format_scores,
        score,
    )

    settings = ctx.obj.settings
    rule_set = load_rule_set(rules, district)
    key = settings.pseudonym_key.get_secret_value().encode()
    if simulation is not None:
        data = runner.read_simulation(simulation, key)
    else:
        scenario = {
            name: value
            for name, value in (("schools", schools), ("days", days), ("seed", seed))
            if value is not None
        }
        data = runner.simulate_district(key, **scenario)
    if replay_only:
        replayed = runner.replay_events(rule_set, data.events, detected_at=datetime.now(UTC))
        alerts = [alert.to_dict() for alert in replayed.alerts]
    else:
        arguments = [
            *(["--rules", str(rules)] if rules else []),
            *(["--district", str(district)] if district else []),
        ]
        alerts = runner.live_alerts(settings, data.events, worker_arguments=arguments)
    typer.echo(
        f"事件 / events: {len(data.events)}; 预期 / expected anomalies: {len(data.truth)}; 预警 / alerts: {len(alerts)}"
    )
    typer.echo(format_scores(score(map(alert_key, alerts), runner.truth_keys(data.truth))))
    changes = changes_from_shipped(rule_set, load_rule_set())
    if changes:
        typer.echo(
            "注意：模拟器按发布的规则配置植入异常，以下规则的得分反映的是配置改动 / "
            "note: the simulator plants its anomalies for the shipped rules file; these rules "
            "differ from it (shipped values in brackets), so their scores measure the change:"
        )
        typer.echo("\n".join(f"  {line}" for line in changes))


detectors_app.command("evaluate")(evaluate)


@rules_app.command("ocds")
def ocds_indicators(
    file: Annotated[
        Path,
        typer.Argument(
            help="OCDS 编译发布 JSON Lines 文件（- 为标准输入）/ Compiled releases, one per line (- for stdin)."
        ),
    ],
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            help="Cardinal 设置文件 / Cardinal INI settings (default: every indicator).",
        ),
    ] = None,
    no_meta: Annotated[
        bool, typer.Option("--no-meta", help="不输出 Meta / Leave out the quartiles and fences.")
    ] = False,
) -> None:
    """OCP 红旗指标批处理 / OCP Cardinal's indicators over OCDS compiled releases, in Cardinal's output shape."""
    import sys

    from services.detectors.errors import OcdsInputError
    from services.detectors.ocds_batch import default_settings, indicators_output, parse_settings

    def warn(message: str) -> None:
        typer.echo(f"WARN {message}", err=True)

    try:
        parsed = (
            parse_settings(settings.read_text(encoding="utf-8"), source=str(settings))
            if settings
            else default_settings()
        )
        if str(file) == "-":
            typer.echo(indicators_output(sys.stdin, parsed, meta=not no_meta, warn=warn))
            return
        with file.open(encoding="utf-8") as lines:
            typer.echo(indicators_output(lines, parsed, meta=not no_meta, warn=warn))
    except OSError as exc:
        raise OcdsInputError(f"{exc.filename}: 无法读取 / cannot read: {exc.strerror}") from exc
