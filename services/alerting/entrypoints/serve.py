"""`qinglian alerting serve`: one process running the alert consumer, the scheduler, the API and console, and /metrics.

The consumer and the scheduler run in threads, each on its own unit of work; the
web server (uvicorn) runs in the main thread and owns SIGINT/SIGTERM. On a
signal the server stops taking requests, then the threads finish their current
batch or pass and the Kafka clients close. If the consumer or the scheduler
dies (say the database stayed down past the consumer's retry budget), the whole
process stops with an error, so the supervisor restarts it rather than leaving a
half-working service that still answers /healthz.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
import uvicorn

from qinglian.lag import LagExporter
from qinglian.metrics import serve_metrics
from qinglian.settings import Settings
from qinglian.topics import alerts_topic
from services.alerting.adapters import migrator
from services.alerting.bootstrap import AlertingService
from services.alerting.entrypoints.consumer import consume_alerts, consumer_group
from services.alerting.entrypoints.scheduler import run_scheduler
from services.alerting.entrypoints.web.app import create_app
from services.alerting.errors import AlertingError, MigrationError

log = structlog.get_logger(__name__)


@dataclass
class Worker:
    """A background thread whose failure stops the process instead of vanishing."""

    name: str
    target: Callable[[], None]
    on_failure: Callable[[BaseException], None]
    thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            self.target()
        except BaseException as exc:
            log.exception("worker stopped", worker=self.name)
            self.on_failure(exc)


def check_schema(settings: Settings) -> None:
    if "(head)" not in migrator.current(settings.database_url):
        raise MigrationError(
            "案件数据库版本落后，请先运行 `qinglian db upgrade` / the case database is not at the latest "
            "migration; run `qinglian db upgrade` first"
        )


def serve(settings: Settings, service: AlertingService, *, host: str, port: int) -> None:
    """Run everything until SIGINT/SIGTERM (call from the main thread); raises the first background failure."""
    check_schema(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, service), host=host, port=port, log_config=None, access_log=False
        )
    )
    stop = threading.Event()
    failures: list[BaseException] = []

    def fail(exc: BaseException) -> None:
        failures.append(exc)
        server.should_exit = True

    workers = [
        Worker(
            "alert-consumer",
            lambda: consume_alerts(settings, service.for_another_thread(), stop=stop),
            fail,
        ),
        Worker(
            "scheduler",
            lambda: run_scheduler(
                service.for_another_thread(),
                stop=stop,
                interval=settings.alerting_scheduler_interval_seconds,
            ),
            fail,
        ),
    ]
    serve_metrics(
        service.metrics.registry,
        settings.alerting_metrics_port,
        "QINGLIAN_ALERTING_METRICS_PORT",
        host=host,
    )
    lag = LagExporter(
        settings, consumer_group(settings), [alerts_topic(settings)], service.metrics.registry
    )
    lag.start()
    for worker in workers:
        worker.start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # uvicorn takes these over while it runs, then restores this handler and re-raises the
        # signal it got: with the default handler that would kill the process before the cleanup below.
        signal.signal(signum, lambda *_: stop.set())
    log.info("alerting service started", host=host, port=port)
    try:
        server.run()
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        lag.stop()
        log.info("alerting service stopped")
    if failures:
        first = failures[0]
        if isinstance(first, AlertingError):
            raise first
        raise AlertingError(f"后台任务失败 / a background task failed: {first!r}") from first
