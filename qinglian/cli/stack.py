"""`qinglian stack`: the local Kafka + PostgreSQL stack."""

from __future__ import annotations

import typer

stack_app = typer.Typer(
    help="本地基础设施（Kafka KRaft + PostgreSQL）/ The local stack: Kafka in KRaft mode and PostgreSQL.",
    no_args_is_help=True,
)


@stack_app.command()
def up(ctx: typer.Context) -> None:
    """启动 / Start Kafka and PostgreSQL and create the topics."""
    from qinglian.stack import control

    control.up(ctx.obj.settings, report=typer.echo)


@stack_app.command()
def down(ctx: typer.Context) -> None:
    """停止 / Stop exactly the processes that `up` started."""
    from qinglian.stack import control

    control.down(ctx.obj.settings, report=typer.echo)


@stack_app.command()
def status(ctx: typer.Context) -> None:
    """状态 / Report the health of each part; exits 1 if any part is unhealthy."""
    from qinglian.stack import control

    parts = control.status(ctx.obj.settings)
    for part in parts:
        mark = "✔" if part.healthy else "✘"
        typer.echo(f"{mark} {part.name:<11} {part.detail}")
    if not all(part.healthy for part in parts):
        raise typer.Exit(1)


@stack_app.command()
def topics(ctx: typer.Context) -> None:
    """主题 / Create the project's topics on the configured brokers (local or existing cluster)."""
    from qinglian import broker
    from qinglian.topics import topic_specs

    settings = ctx.obj.settings
    created = set(broker.ensure_topics(settings))
    for spec in topic_specs(settings):
        state = "created" if spec.name in created else "present"
        kept = (
            f"retention.ms={spec.config['retention.ms']}"
            if "retention.ms" in spec.config
            else spec.config["cleanup.policy"]
        )
        typer.echo(
            f"{spec.name:<30} {state:<8} partitions={spec.partitions} {kept:<16} {spec.purpose}"
        )
