"""`qinglian db`: the project database's migrations, one Alembic history per service that keeps tables there.

The alerting service (cases, accounts) and the ingest service (dedup ids,
connector checkpoints) each migrate their own tables, with their own version
table, so neither needs to know the other's revisions. Every command acts on all
of them, in this order, unless ``--service`` names one.
"""

from __future__ import annotations

from typing import Annotated, Protocol

import typer

from qinglian.errors import ConfigurationError

MIGRATORS = ("alerting", "ingest")

db_app = typer.Typer(
    help="数据库 / Database migrations of every service (alerting, ingest).", no_args_is_help=True
)

ServiceOption = Annotated[
    str | None,
    typer.Option("--service", help=f"只处理一个服务 / Only this service: {', '.join(MIGRATORS)}."),
]


class Migrator(Protocol):
    def upgrade(self, database_url: str, revision: str = "head") -> None: ...

    def check(self, database_url: str) -> None: ...

    def current(self, database_url: str) -> str: ...


def _migrators(service: str | None) -> dict[str, Migrator]:
    """The chosen services' migrators, imported only when a command runs (they load Alembic and SQLAlchemy)."""
    from services.alerting.adapters import migrator as alerting
    from services.ingest.adapters import migrator as ingest

    every: dict[str, Migrator] = {"alerting": alerting, "ingest": ingest}
    if service is not None and service not in every:
        raise ConfigurationError(
            f"没有此服务 / no service '{service}' has migrations; choose {', '.join(every)}"
        )
    return {service: every[service]} if service else every


def _current(migrators: dict[str, Migrator], url: str) -> str:
    return "; ".join(
        f"{name}: {migrator.current(url) or 'base'}" for name, migrator in migrators.items()
    )


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Argument(help="目标版本 / Target revision (another than head needs --service).")
    ] = "head",
    service: ServiceOption = None,
) -> None:
    """升级数据库结构 / Apply the migrations up to REVISION (default: head)."""
    if revision != "head" and service is None:
        raise ConfigurationError(
            f"请指定服务 / revision {revision} belongs to one service's history: add --service ({', '.join(MIGRATORS)})"
        )
    url = ctx.obj.settings.database_url
    migrators = _migrators(service)
    for migrator in migrators.values():
        migrator.upgrade(url, revision)
    typer.echo(f"数据库已升级 / database at {_current(migrators, url)}")


@db_app.command("check")
def db_check(ctx: typer.Context, service: ServiceOption = None) -> None:
    """检查模型与迁移一致 / Fail unless the database is at head and the models match the migrations."""
    for migrator in _migrators(service).values():
        migrator.check(ctx.obj.settings.database_url)
    typer.echo("模型与迁移一致 / models and migrations match")


@db_app.command("current")
def db_current(ctx: typer.Context, service: ServiceOption = None) -> None:
    """当前版本 / Show each service's migration revision."""
    typer.echo(_current(_migrators(service), ctx.obj.settings.database_url))
