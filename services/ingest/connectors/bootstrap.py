"""Composition root of the pull connectors: real adapters from the settings and the connectors file.

The ingest side (Kafka publisher, dedup store, ingest metrics) is built by
``services.ingest.bootstrap``, so pulled events take exactly the push API's path.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
import structlog
from prometheus_client import CollectorRegistry

from qinglian.errors import InfrastructureError
from qinglian.metrics import new_registry, serve_metrics
from qinglian.settings import Settings
from services.ingest import bootstrap as ingest_bootstrap
from services.ingest.adapters import migrator
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.config import PushOptions
from services.ingest.connectors.adapters.checkpoints import SqlCheckpointStore
from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.adapters.metrics import ConnectorMetrics
from services.ingest.connectors.domain.spec import ConnectorSpec, FolderSpec, RestSpec, StagingSpec
from services.ingest.connectors.errors import ConnectorError, UnknownConnector
from services.ingest.connectors.service_layer.pull import PullDeps, PullSummary, drain
from services.ingest.connectors.service_layer.status import StatusLine, status_lines
from services.ingest.connectors.sources.base import BaseConnector
from services.ingest.connectors.sources.ocds_feed import ocds_connector
from services.ingest.connectors.sources.rest import RestApiConnector
from services.ingest.connectors.sources.staging import StagingDatabaseConnector
from services.ingest.connectors.sources.tabular import file_drop_connector
from services.ingest.service_layer.ingestion import Ingestion

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PassOutcome:
    connector_id: str
    summary: PullSummary | None
    error: str | None = None


def build_connector(
    spec: ConnectorSpec, *, transport: httpx.BaseTransport | None = None
) -> BaseConnector:
    if isinstance(spec, StagingSpec):
        return StagingDatabaseConnector(spec)
    if isinstance(spec, RestSpec):
        return RestApiConnector(spec, transport=transport)
    if isinstance(spec, FolderSpec):
        return file_drop_connector(spec)
    return ocds_connector(spec)


def select(specs: Sequence[ConnectorSpec], only: str | None) -> list[ConnectorSpec]:
    if only is None:
        return list(specs)
    chosen = [spec for spec in specs if spec.common.connector_id == only]
    if not chosen:
        known = ", ".join(spec.common.connector_id for spec in specs)
        raise UnknownConnector(
            f"没有此连接器 / no connector '{only}' in the connectors file (configured: {known})"
        )
    return chosen


@contextmanager
def pull_session(settings: Settings, registry: CollectorRegistry) -> Iterator[PullDeps]:
    dedup = ingest_bootstrap.dedup_store(settings)  # first: it checks the tables are migrated
    kafka = ingest_bootstrap.publisher(settings, PushOptions())
    engine = sa.create_engine(settings.database_url, pool_pre_ping=True)
    try:
        checkpoints = SqlCheckpointStore(engine)
        ingestion = Ingestion.from_settings(
            settings,
            publisher=kafka,
            dedup_store=dedup,
            metrics=IngestMetrics(registry),
        )
        yield PullDeps(
            ingestion, checkpoints, ConnectorMetrics(registry), clock=lambda: datetime.now(UTC)
        )
    finally:
        kafka.close()
        engine.dispose()


def run_once(deps: PullDeps, connectors: Sequence[BaseConnector]) -> list[PassOutcome]:
    """One pass per connector, until each source has nothing new; a failing connector does not stop the others."""
    outcomes = []
    for connector in connectors:
        try:
            connector.setup()
            outcomes.append(PassOutcome(connector.connector_id, drain(connector, deps)))
        except (InfrastructureError, ConnectorError) as exc:
            outcomes.append(PassOutcome(connector.connector_id, None, str(exc)))
        finally:
            connector.close()
    return outcomes


def run(
    settings: Settings,
    connectors_file: Path,
    *,
    only: str | None,
    once: bool,
    metrics_port: int | None,
) -> list[PassOutcome]:
    connectors = [build_connector(spec) for spec in select(load_connectors(connectors_file), only)]
    registry = new_registry()
    with pull_session(settings, registry) as deps:
        if once:
            return run_once(deps, connectors)
        if metrics_port:
            serve_metrics(
                registry,
                metrics_port,
                "QINGLIAN_INGEST_PULL_METRICS_PORT or --metrics-port",
                host=settings.bind_host,
            )
        run_until_stopped(deps, connectors)
    return []


def run_until_stopped(deps: PullDeps, connectors: Sequence[BaseConnector]) -> None:
    """Each connector in its own thread, polling, until SIGINT/SIGTERM; a crashed thread stops the process."""
    crashed: list[BaseException] = []

    def stop_all(*_: object) -> None:
        for connector in connectors:
            connector.stop()

    def guarded(connector: BaseConnector) -> None:
        try:
            connector.start(partial(drain, deps=deps))
        except (
            BaseException
        ) as exc:  # a bug: stop everything so the supervisor restarts the process
            log.exception("connector crashed", connector=connector.connector_id)
            crashed.append(exc)
            stop_all()

    previous = {sig: signal.signal(sig, stop_all) for sig in (signal.SIGINT, signal.SIGTERM)}
    threads = [threading.Thread(target=guarded, args=(c,), name=c.connector_id) for c in connectors]
    try:
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if crashed:
        raise crashed[0]


def status(settings: Settings, connectors_file: Path | None) -> list[StatusLine]:
    configured = (
        [spec.common.connector_id for spec in load_connectors(connectors_file)]
        if connectors_file
        else []
    )
    migrator.require_head(settings.database_url)
    engine = sa.create_engine(settings.database_url, pool_pre_ping=True)
    try:
        store = SqlCheckpointStore(engine)
        return status_lines(
            store.saved(), configured, datetime.now(UTC), ZoneInfo(settings.timezone)
        )
    finally:
        engine.dispose()
