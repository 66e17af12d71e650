"""`qinglian demo`: the whole pipeline on a simulated district (see qinglian/demo.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from qinglian.demo import DemoPlan

DEFAULT = DemoPlan()


def demo(
    ctx: typer.Context,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration", help="运行秒数后自动退出 / Exit by itself after N seconds (for tests)."
        ),
    ] = None,
    schools: Annotated[
        int, typer.Option(help="学校数量 / Schools in the simulated district.")
    ] = DEFAULT.schools,
    days: Annotated[int, typer.Option(help="模拟天数 / Simulated days.")] = DEFAULT.days,
    seconds_per_day: Annotated[
        float, typer.Option(help="每个模拟日的秒数 / Wall-clock seconds per simulated day.")
    ] = DEFAULT.seconds_per_day,
    workers: Annotated[
        int, typer.Option(help="检测 worker 数 / Detector workers.")
    ] = DEFAULT.workers,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="重新开始 / Start afresh: stop the local stack and delete its data (topics, database, "
            "detector state) and the demo's files first.",
        ),
    ] = False,
) -> None:
    """演示 / Run the whole pipeline on a simulated district; Ctrl-C stops it."""
    import signal

    from qinglian.demo import run_demo

    # SIGTERM (a service manager, a test harness) stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    plan = DemoPlan(schools=schools, days=days, seconds_per_day=seconds_per_day, workers=workers)
    try:
        run_demo(ctx.obj.settings, plan, duration=duration, report=typer.echo, fresh=fresh)
    except KeyboardInterrupt:
        typer.echo("已停止 / stopped")
