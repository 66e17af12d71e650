"""Composition root: the real adapters, built from the settings when a command runs.

`qinglian ingest serve` runs the push API in ``--workers`` processes (uvicorn's
supervisor, one shared socket): one Python process spends its single core on
validation, pseudonymization and kafka-python's per-record work, so more cores need
more processes. Each worker builds its own app, Kafka producer and database pool in
``worker_app`` from the environment the serving process prepared (the settings, the
sources file, the metrics directory); the serving process sums their metrics.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from qinglian.errors import ConfigurationError
from qinglian.logging import configure_logging
from qinglian.metrics import multiprocess_metrics, new_registry, serve_metrics
from qinglian.settings import CONFIG_FILE_VARIABLE, ENV_PREFIX, Settings, load_settings
from qinglian.topics import deadletter_topic
from services.ingest.adapters import migrator
from services.ingest.adapters.deadletter_reader import KafkaDeadLetterReader
from services.ingest.adapters.dedup_store import SqlDedupStore
from services.ingest.adapters.kafka_publisher import KafkaPublisher
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.adapters.sources_file import load_sources
from services.ingest.config import PushOptions
from services.ingest.entrypoints.http import create_app
from services.ingest.service_layer.ingestion import Ingestion

SERVICE = "ingest"
WORKER_APP = f"{__name__}:worker_app"
SOURCES_FILE_VARIABLE = f"{ENV_PREFIX}INGEST_SOURCES_FILE"
# A push batch allocates some 100 objects per event; with the default threshold (700) the
# collector ran hundreds of times per batch. Measured on batches of 500: ~15 % of the CPU.
GC_YOUNG_THRESHOLD = 50_000


def dedup_store(settings: Settings) -> SqlDedupStore:
    """The dedup store on the project's database; MigrationError unless `qinglian db upgrade` created its table."""
    migrator.require_head(settings.database_url)
    return SqlDedupStore.connect(settings.database_url)


def publisher(settings: Settings, options: PushOptions) -> KafkaPublisher:
    return KafkaPublisher.from_settings(
        settings, client_id="qinglian-ingest", timeout_seconds=options.publish_timeout_seconds
    )


def serve(
    settings: Settings,
    *,
    sources_file: Path,
    host: str,
    port: int,
    options: PushOptions,
    workers: int,
) -> None:
    configure_logging(settings, SERVICE)
    if workers == 1:
        registry = new_registry()
        app = push_app(settings, sources_file, options, IngestMetrics(registry))
        serve_metrics(
            registry, settings.ingest_metrics_port, "QINGLIAN_INGEST_METRICS_PORT", host=host
        )
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
        return
    # Checked before the workers start: a bad sources file or a missing migration is then one
    # line, not a crash loop of workers that uvicorn keeps restarting.
    load_sources(sources_file)
    migrator.require_head(settings.database_url)
    _export_for_workers(settings, sources_file)
    with multiprocess_metrics() as registry:
        serve_metrics(
            registry, settings.ingest_metrics_port, "QINGLIAN_INGEST_METRICS_PORT", host=host
        )
        uvicorn.run(
            WORKER_APP,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )


def worker_app() -> FastAPI:
    """One worker's push API, for uvicorn's ``factory=True``: everything comes from the environment."""
    settings = load_settings()
    configure_logging(settings, SERVICE)
    if settings.ingest_sources_file is None:
        raise ConfigurationError(
            f"{SOURCES_FILE_VARIABLE} is unset: start workers with `qinglian ingest serve --workers N`"
        )
    options = dataclasses.replace(PushOptions.from_settings(settings), spread_busy_connections=True)
    return push_app(settings, settings.ingest_sources_file, options, IngestMetrics(new_registry()))


def push_app(
    settings: Settings, sources_file: Path, options: PushOptions, metrics: IngestMetrics
) -> FastAPI:
    """The push API on the real adapters; its Kafka producer is closed when the server stops."""
    kafka = publisher(settings, options)

    @asynccontextmanager
    async def close_producer(_app: FastAPI) -> AsyncIterator[None]:
        yield
        kafka.close()

    app = create_app(
        settings,
        publisher=kafka,
        dedup_store=dedup_store(settings),
        sources=load_sources(sources_file),
        metrics=metrics,
        options=options,
        lifespan=close_producer,
    )
    # What start-up built (modules, schemas, compiled validators) lives as long as the process:
    # frozen, the collector stops walking it again on every full collection.
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    return app


def _export_for_workers(settings: Settings, sources_file: Path) -> None:
    """The command-line choices the workers rebuild their settings with (they inherit the environment)."""
    os.environ[SOURCES_FILE_VARIABLE] = str(sources_file.resolve())
    if settings.config_file is not None:
        os.environ[CONFIG_FILE_VARIABLE] = str(settings.config_file.resolve())


def deadletter_reader(settings: Settings) -> KafkaDeadLetterReader:
    return KafkaDeadLetterReader(settings, deadletter_topic(settings))


@contextmanager
def redrive_session(settings: Settings) -> Iterator[Ingestion]:
    """The push API's publishing path, for `qinglian dlq redrive`; closes the producer after."""
    kafka = publisher(settings, PushOptions())
    try:
        yield Ingestion.from_settings(
            settings,
            publisher=kafka,
            dedup_store=dedup_store(settings),
            metrics=IngestMetrics(new_registry()),
        )
    finally:
        kafka.close()
