"""`qinglian alerting …` and `qinglian audit …`: the alerting service's commands.

Heavy modules (SQLAlchemy, Alembic, Kafka) are imported inside the commands, so
`qinglian --help` stays fast.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from services.alerting.bootstrap import AlertingService

alerting_app = typer.Typer(help="处置 / Alerting: cases, workflow, console.", no_args_is_help=True)
audit_app = typer.Typer(
    help="审计 / Audit: verify tamper-evident histories, export and check audit bundles.",
    no_args_is_help=True,
)
silence_app = typer.Typer(
    help="屏蔽 / Silences: suppress matching alerts for a while.", no_args_is_help=True
)
user_app = typer.Typer(help="账号 / Console and API accounts.", no_args_is_help=True)
alerting_app.add_typer(silence_app, name="silence")
alerting_app.add_typer(user_app, name="user")

TIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="处置策略 / Alerting policy TOML (grouping, deadlines, escalation); "
        "default: QINGLIAN_ALERTING_POLICY_FILE.",
    ),
]
LeadersOption = Annotated[
    Path | None,
    typer.Option(
        "--leaders",
        help="学校领导名单 / YAML: school id → role → pseudonym (conflict of interest); "
        "default: QINGLIAN_ALERTING_LEADERS_FILE.",
    ),
]


@contextmanager
def _alerting(
    ctx: typer.Context, policy: Path | None = None, leaders: Path | None = None
) -> Iterator[AlertingService]:
    """The wired service, with database failures reported on one line."""
    from services.alerting.adapters.database import database_errors
    from services.alerting.adapters.leaders import load_leaders_file
    from services.alerting.adapters.policy_file import load_policy
    from services.alerting.bootstrap import bootstrap

    settings = ctx.obj.settings
    with database_errors():
        yield bootstrap(
            settings,
            policy=load_policy(policy, timezone=settings.timezone) if policy else None,
            leaders=load_leaders_file(leaders) if leaders else None,
        )


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    bundle: Annotated[
        Path | None,
        typer.Argument(
            help="审计包 / An audit bundle (.zip or directory) to check offline, without the "
            "database or Kafka. Without it: every case's chain in the case database."
        ),
    ] = None,
) -> None:
    """校验处置记录 / Verify hash-chained histories: every case in the database, or one audit bundle offline.

    Exit 0 only when everything holds; otherwise each failure is named and the exit status is 1.
    """
    if bundle is not None:
        _verify_bundle(ctx, bundle)
        return
    with _alerting(ctx) as service:
        result = service.verify_histories()
    for broken in result.broken:
        typer.echo(f"篡改 / TAMPERED  case {broken.case_id}: {broken.status.describe()}")
    typer.echo(
        f"已校验 {result.checked} 个案件，{len(result.broken)} 个异常 / "
        f"checked {result.checked} cases, {len(result.broken)} failed"
    )
    if not result.intact:
        raise typer.Exit(1)


def _verify_bundle(ctx: typer.Context, bundle: Path) -> None:
    from services.alerting.adapters.bundle_archive import read_bundle
    from services.alerting.domain.bundle_check import check_bundle

    key = ctx.obj.settings.audit_export_key
    verdict = check_bundle(
        read_bundle(bundle), signing_key=key.get_secret_value().encode() if key else None
    )
    typer.echo(f"审计包 / bundle {bundle} (case {verdict.case_id})")
    for check in verdict.checks:
        if check.holds:
            typer.echo(f"  通过 / OK      {check.title}: {check.summary}")
        for problem in check.problems:
            typer.echo(f"  失败 / FAILED  {check.title}: {problem}")
    failed = sum(len(check.problems) for check in verdict.checks)
    if failed:
        typer.echo(
            f"审计包校验未通过：{failed} 处问题 / bundle verification FAILED: {failed} problems"
        )
        raise typer.Exit(1)
    typer.echo("审计包校验通过 / bundle verified: every check holds")


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="案件编号 / Case id.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="输出 / Where to write: a new FILE.zip (one file to hand over), or a new "
            "directory for any other name.",
        ),
    ],
    exporter: Annotated[
        str | None,
        typer.Option(
            help="导出人 / Who exports, recorded in the manifest (default: cli:<OS user>)."
        ),
    ] = None,
    lookback_hours: Annotated[
        float,
        typer.Option(
            min=0,
            help="证据回溯 / How long before detection (beyond the rule's window) evidence may "
            "have reached Kafka.",
        ),
    ] = 24.0,
) -> None:
    """导出审计包 / Export a case's audit bundle: alerts, hash-chained history, raw evidence from Kafka.

    Read-only: writes nothing to the database or the topics.
    Exit 1 when the case's chain is already broken in the database (the bundle is still written).
    """
    import getpass
    from datetime import timedelta

    from services.alerting.adapters.bundle_archive import write_bundle

    with _alerting(ctx) as service:
        export = service.export_case(
            case_id,
            exporter=exporter or f"cli:{getpass.getuser()}",
            lookback=timedelta(hours=lookback_hours),
        )
    write_bundle(export.files, out)
    typer.echo(
        f"审计包已写入 {out}：证据找到 {export.evidence_found} 条，缺失 {len(export.evidence_missing)} 条 / "
        f"bundle written to {out}: {export.evidence_found} evidence events found, "
        f"{len(export.evidence_missing)} missing"
    )
    for event_id in export.evidence_missing:
        typer.echo(f"  缺失证据 / missing evidence: {event_id}")
    if not export.chain.intact:
        typer.echo(
            f"警告：数据库中该案件处置记录已异常 / WARNING: the case's chain is broken in the "
            f"database: {export.chain.describe()}"
        )
        raise typer.Exit(1)


@alerting_app.command("consume")
def consume(
    ctx: typer.Context,
    policy: PolicyOption = None,
    leaders: LeadersOption = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="每批条数 / Alerts per batch and transaction.")
    ] = 500,
) -> None:
    """消费预警生成案件 / Turn alerts from the alerts topic into cases until interrupted (SIGINT/SIGTERM)."""
    from qinglian.logging import configure_logging
    from qinglian.metrics import serve_metrics
    from services.alerting.adapters.alert_consumer import ConsumerTuning
    from services.alerting.entrypoints.consumer import consume_alerts

    settings = ctx.obj.settings
    configure_logging(settings, "alerting")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with _alerting(ctx, policy, leaders) as service:
        serve_metrics(
            service.metrics.registry,
            settings.alerting_metrics_port,
            "QINGLIAN_ALERTING_METRICS_PORT",
            host=settings.bind_host,
        )
        consume_alerts(settings, service, stop=stop, tuning=ConsumerTuning(batch_size=batch_size))


@alerting_app.command("escalate")
def escalate(ctx: typer.Context, policy: PolicyOption = None) -> None:
    """督办一轮 / One scheduler pass: record the reminders due now, then send pending notifications."""
    with _alerting(ctx, policy) as service:
        steps = service.escalate()
        deliveries = service.dispatch_notifications()
    sent = sum(1 for delivery in deliveries if delivery.delivered)
    typer.echo(
        f"新增督办 {len(steps)} 条，发送 {sent}/{len(deliveries)} / "
        f"recorded {len(steps)} reminders, sent {sent} of {len(deliveries)} notifications"
    )


@alerting_app.command("outcomes")
def outcomes(ctx: typer.Context) -> None:
    """规则处置结论统计 / Resolution counts and false-positive rate per rule."""
    with _alerting(ctx) as service:
        rules = service.outcomes_by_rule()
    for rule in rules:
        counts = ", ".join(
            f"{resolution.value}={count}" for resolution, count in rule.counts.items()
        )
        rate = "-" if rule.false_positive_rate is None else f"{rule.false_positive_rate:.1%}"
        typer.echo(f"{rule.rule_id:<8} FP率/FP rate {rate:>6}  {counts}")


@silence_app.command("add")
def silence_add(
    ctx: typer.Context,
    match: Annotated[
        list[str],
        typer.Option("--match", "-m", help="条件 / Matcher, e.g. rule_id=C6 or school_id=~5001.*"),
    ],
    ends: Annotated[
        datetime, typer.Option(formats=TIME_FORMATS, help="结束时间 / End, ISO 8601 with offset.")
    ],
    author: Annotated[str, typer.Option(help="创建人 / Who creates it.")],
    comment: Annotated[str, typer.Option(help="理由 / Why.")],
    starts: Annotated[
        datetime | None, typer.Option(formats=TIME_FORMATS, help="开始时间 / Start (default: now).")
    ] = None,
) -> None:
    """新增屏蔽 / Add a silence; prints its id."""
    from services.alerting.domain.commands import CreateSilence
    from services.alerting.domain.silences import Matcher

    with _alerting(ctx) as service:
        silence = service.create_silence(
            CreateSilence(
                matchers=tuple(Matcher.parse(text) for text in match),
                starts_at=starts or service.clock(),
                ends_at=ends,
                created_by=author,
                comment=comment,
            )
        )
    typer.echo(silence.id)


@silence_app.command("list")
def silence_list(ctx: typer.Context) -> None:
    """列出屏蔽 / List silences, newest first."""
    with _alerting(ctx) as service:
        now = service.clock()
        silences = service.silences()
    for silence in silences:
        state = (
            "active"
            if silence.is_active(now)
            else ("pending" if now < silence.starts_at else "ended")
        )
        matchers = ",".join(str(matcher) for matcher in silence.matchers)
        typer.echo(
            f"{silence.id}  {state:<7}  {silence.starts_at.isoformat()} → {silence.ends_at.isoformat()}  "
            f"{matchers}  {silence.created_by}: {silence.comment}"
        )


@silence_app.command("expire")
def silence_expire(
    ctx: typer.Context,
    silence_id: Annotated[str, typer.Argument(metavar="ID")],
    actor: Annotated[str, typer.Option(help="操作人 / Who ends it.")],
) -> None:
    """提前结束屏蔽 / End a silence now."""
    from services.alerting.domain.commands import ExpireSilence

    with _alerting(ctx) as service:
        ended = service.expire_silence(ExpireSilence(silence_id, actor))
    typer.echo(f"{ended.id} ends at {ended.ends_at.isoformat()}")


@alerting_app.command("serve")
def serve(
    ctx: typer.Context,
    policy: PolicyOption = None,
    leaders: LeadersOption = None,
    host: Annotated[
        str | None, typer.Option(help="监听地址 / Address (default: QINGLIAN_BIND_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="端口 / Port (default: QINGLIAN_ALERTING_PORT).")
    ] = None,
) -> None:
    """运行处置服务 / Consumer + scheduler + API + console (+ /metrics) until SIGINT/SIGTERM."""
    from qinglian.logging import configure_logging
    from services.alerting.entrypoints.serve import serve as run

    settings = ctx.obj.settings
    configure_logging(settings, "alerting")
    with _alerting(ctx, policy, leaders) as service:
        run(
            settings,
            service,
            host=host or settings.bind_host,
            port=port or settings.alerting_port,
        )


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="用户名 / Login name (lower-case).")],
    role: Annotated[
        str,
        typer.Option(
            help="角色 / district_inspector (区纪检), school_officer (校纪检), auditor (审计), "
            "administrator (管理员)."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="姓名 / Display name.")] = "",
    district: Annotated[str | None, typer.Option(help="区县代码 / District id.")] = None,
    school: Annotated[
        str | None, typer.Option(help="学校代码 / School id (school officers).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="从标准输入读密码 / Read the password from stdin."),
    ] = False,
) -> None:
    """新增账号 / Add a user; the password is prompted for (or read from stdin), hashed with argon2."""
    import sys

    from services.alerting.domain.access import Role
    from services.alerting.errors import InvalidAccount
    from services.alerting.service_layer.accounts import NewUser

    try:
        parsed_role = Role(role)
    except ValueError as exc:
        roles = ", ".join(r.value for r in Role)
        raise InvalidAccount(f"未知角色 / unknown role {role!r}; use one of {roles}") from exc
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("密码 / Password", hide_input=True, confirmation_prompt=True)
    )
    with _alerting(ctx) as service:
        user = service.add_user(
            NewUser(username, name, parsed_role, password, district_id=district, school_id=school)
        )
    typer.echo(f"已新增 / added {user.username} ({user.role.value}) {user.id}")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """列出账号 / List users with their role and scope."""
    with _alerting(ctx) as service:
        users = service.users()
    for user in users:
        scope = user.school_id or user.district_id or "*"
        state = "" if user.active else "  (disabled)"
        typer.echo(
            f"{user.username:<20} {user.role.value:<20} {scope:<12} {user.display_name}{state}"
        )


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="用户名 / Whose token.")],
    name: Annotated[str, typer.Option("--name", help="用途 / What the token is for.")] = "api",
) -> None:
    """签发 API 令牌 / Issue an API token; it is printed once and stored only as a hash."""
    with _alerting(ctx) as service:
        secret, token = service.issue_token(username, name)
    typer.echo(secret)
    typer.echo(
        f"令牌 {token.id} 仅显示这一次，请妥善保存 / token {token.id} is shown only this once; "
        "send it as Authorization: Bearer <token>",
        err=True,
    )
