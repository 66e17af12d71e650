"""Running one detector worker: logging, metrics, the lag exporter, then faust.

Several workers may run at once; they share the partitions of the consumer
group ``<topic prefix>.detectors.state<N>``. Keep the partition count a multiple of the
number of workers (faust assigns whole co-partitioned groups). On one host give
each worker its own ``--web-port`` and ``--metrics-port``. Run it under a supervisor
that starts it again when it exits: a worker that has a backlog and reads nothing for
``QINGLIAN_DETECTORS_STALL_RESTART_SECONDS`` exits with status 75 (``stall``). A rule step
stuck for half that time is quarantined and ended in place (``quarantine``, ``interrupt``), so
the exit is left for what cannot be ended so.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping, Sequence

import faust
import uvloop

from qinglian import broker
from qinglian.lag import LagExporter
from qinglian.logging import configure_logging
from qinglian.metrics import new_registry, serve_metrics
from qinglian.settings import Settings
from qinglian.topics import topic_specs
from services.detectors.core.config import RuleSet
from services.detectors.runtime.app import (
    RuntimeOptions,
    create_app,
    repartition_topic_spec,
    watched_topics,
)
from services.detectors.runtime.interrupt import StepInterrupter, end_hung_steps
from services.detectors.runtime.metrics import DetectorMetrics
from services.detectors.runtime.process_memory import (
    collect_long_lived_state_less_often,
    limit_malloc_arenas,
)
from services.detectors.runtime.quarantine import HungStep, Quarantine
from services.detectors.runtime.stall import BatchInProgress, StallWatch, StepWatch, exit_stalled

OnStall = Callable[[float, int, Mapping[str, BatchInProgress], Sequence[HungStep]], None]
OnHung = Callable[[Sequence[HungStep], Mapping[str, BatchInProgress]], None]


def run_worker(
    settings: Settings, rule_set: RuleSet, *, metrics_port: int, options: RuntimeOptions
) -> None:
    """Start a worker and block until it stops (SIGTERM/SIGINT); exits the process."""
    configure_logging(settings, "detectors")
    collect_long_lived_state_less_often()
    limit_malloc_arenas()
    broker.ensure_topics(settings, [*topic_specs(settings), repartition_topic_spec(settings)])
    registry = new_registry()
    metrics = DetectorMetrics(registry)
    metrics.start_at_zero(config.rule_id for config in rule_set.enabled())
    serve_metrics(
        registry,
        metrics_port,
        "--metrics-port or QINGLIAN_DETECTORS_METRICS_PORT",
        host=settings.bind_host,
    )
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    quarantine = Quarantine(settings, on_count=metrics.quarantined_steps.set)
    quarantine.refresh()
    interrupter = StepInterrupter()
    app = create_app(
        settings,
        rule_set,
        options=options,
        metrics=metrics,
        skipped=quarantine.labels,
        interrupter=interrupter,
    )
    interrupter.install()
    watched = watched_topics(settings)
    started_at = time.time()
    metrics.note_read(started_at)
    limit = settings.detectors_stall_restart_seconds
    on_measure = observe_backlog(
        app,
        metrics,
        StallWatch(limit, started_at=started_at) if limit else None,
        on_stall=functools.partial(exit_stalled, quarantine=quarantine.record),
        on_hung=functools.partial(end_hung_steps, quarantine=quarantine, interrupter=interrupter),
    )
    LagExporter(
        settings,
        app.conf.id,
        watched,
        registry,
        interval=options.lag_interval,
        on_measure=on_measure,
    ).start()
    quarantine.follow(options.lag_interval)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,  # configure_logging above owns the root logger
    )
    worker.execute_from_commandline()


def observe_backlog(
    app: faust.App,
    metrics: DetectorMetrics,
    watch: StallWatch | None,
    *,
    clock: Callable[[], float] = time.time,
    on_stall: OnStall = exit_stalled,
    on_hung: OnHung | None = None,
) -> Callable[[Mapping[tuple[str, int], int]], None]:
    """What the lag exporter's thread does with each measurement: the backlog metric, a running
    table recovery's progress as the last read, then the stall watch (none: off) with the rule
    steps in progress: ``on_hung`` is told those running half its limit (hung) and every batch in
    progress, then ``on_stall`` a stall."""
    steps = StepWatch()

    def on_measure(lag: Mapping[tuple[str, int], int]) -> None:
        backlog = metrics.observe_lag(lag)
        if watch is None:
            return
        now = clock()
        recovered_at = _recovered_at(app, now)
        if recovered_at is not None and recovered_at > metrics.last_read:
            metrics.note_read(recovered_at)
        batches = metrics.batches_in_progress(now)
        hung = steps.hung(now, batches, at_least=watch.limit_seconds / 2)
        if on_hung is not None:
            on_hung(hung, batches)
        waited = watch.waited(now, progress_at=metrics.last_read, backlog=backlog)
        if waited is not None:
            on_stall(waited, backlog, batches, hung)

    return on_measure


def _recovered_at(app: faust.App, now: float) -> float | None:
    """When the worker's running table recovery last applied a changelog record (None: no
    recovery running, or none applied yet). faust keeps this only privately, on its monotonic
    clock; it is the one sign of a recovery that moves (its timers start after the first)."""
    applied = getattr(app.tables.recovery, "_last_active_event_processed_at", None)
    return None if applied is None else now - (time.monotonic() - applied)
