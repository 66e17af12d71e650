"""``qinglian replay``: the auditor's replay of a time range, compared with the live record.

Exit status: 0 when replay matches the live record, 1 when it found differences
(as ``diff`` does), 2 on an error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

Repeated = list[str] | None


def replay(
    ctx: typer.Context,
    start: Annotated[
        str,
        typer.Option(
            "--from",
            help="起 / Start of the audited range in event time (inclusive): RFC 3339, or a date in Asia/Shanghai.",
        ),
    ],
    end: Annotated[
        str,
        typer.Option(
            "--to", help="止 / End of the range (exclusive); a date includes that whole day."
        ),
    ],
    topic: Annotated[
        Repeated,
        typer.Option(
            "--topic",
            help="主题 / Raw topics to read (domain or topic name; repeatable). Default: all four.",
        ),
    ] = None,
    school: Annotated[
        Repeated,
        typer.Option("--school", help="学校 / Compare only these schools' alerts (repeatable)."),
    ] = None,
    rule: Annotated[
        Repeated, typer.Option("--rule", help="规则 / Run only these rules (repeatable), e.g. P4.")
    ] = None,
    warmup: Annotated[
        str,
        typer.Option(
            "--warmup",
            help="预热 / Also read this long before --from, so windows straddling the start see their events (30d, 12h).",
        ),
    ] = "31d",
    grace: Annotated[
        str | None,
        typer.Option(
            "--grace",
            help="宽限 / Stop reading at --to plus this. Default: read to the end of the topics, as live did.",
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            help="候选规则 / What-if: a candidate rules file to compare with the live configuration.",
        ),
    ] = None,
    district: Annotated[
        Path | None,
        typer.Option(
            "--district", help="候选区县覆盖 / What-if: a candidate district override file."
        ),
    ] = None,
    live_rules: Annotated[
        Path | None,
        typer.Option(
            "--live-rules",
            help="实时规则 / The rules file the live detectors run (default: the shipped one).",
        ),
    ] = None,
    live_district: Annotated[
        Path | None,
        typer.Option(
            "--live-district", help="实时区县覆盖 / The live detectors' district override."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="JSON 报告 / Write the JSON report here.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="HTML 报告 / Write the HTML report here.")
    ] = None,
) -> None:
    """审计回放 / Replay a time range of the raw topics with the live rules and compare with the live alerts."""
    from datetime import UTC, datetime

    import orjson

    from services.detectors.audit_replay.html_report import render_html
    from services.detectors.audit_replay.kafka_reading import KafkaSources
    from services.detectors.audit_replay.run import plan_request, run_replay
    from services.detectors.audit_replay.summary import summary_lines
    from services.detectors.audit_replay.timerange import AuditRange, parse_duration
    from services.detectors.core.eventtime import parse_moment

    settings = ctx.obj.settings
    audit_range = AuditRange(
        parse_moment(start, option="--from"),
        parse_moment(end, option="--to", end_of_day=True),
        warmup=parse_duration(warmup, option="--warmup"),
        grace=parse_duration(grace, option="--grace") if grace is not None else None,
    )
    request = plan_request(
        settings,
        audit_range,
        topics=topic or (),
        schools=school or (),
        rules=rule or (),
        live_rules=live_rules,
        live_district=live_district,
        candidate_rules=rules,
        candidate_district=district,
    )

    report = run_replay(
        request, KafkaSources(settings), progress=replay_progress, now=datetime.now(UTC)
    )
    if out is not None:
        _write(out, orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
    if html is not None:
        _write(html, render_html(report).encode("utf-8"))
    for line in summary_lines(report):
        typer.echo(line)
    if report.verification.differences:
        raise typer.Exit(1)


def replay_progress(total: int) -> Any:
    """The replay's progress bar on stderr (a tqdm bar): events read, events/s, time left."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc="回放 / replay",
        unit="event",
        unit_scale=True,
        file=sys.stderr,
        mininterval=0.5,
    )


def _write(path: Path, content: bytes) -> None:
    from services.detectors.audit_replay.errors import ReplayRequestError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise ReplayRequestError(
            f"{path}: 无法写入报告 / cannot write the report: {exc.strerror}"
        ) from exc
