"""Composition root: the real adapters, built from the settings when a command runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import uvicorn

from qinglian.logging import configure_logging
from qinglian.metrics import new_registry, serve_metrics
from qinglian.settings import Settings
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


def dedup_store(settings: Settings) -> SqlDedupStore:
    """The dedup store on the project's database; MigrationError unless `qinglian db upgrade` created its table."""
    migrator.require_head(settings.database_url)
    return SqlDedupStore(sa.create_engine(settings.database_url, pool_pre_ping=True))


def publisher(settings: Settings, options: PushOptions) -> KafkaPublisher:
    return KafkaPublisher.from_settings(
        settings, client_id="qinglian-ingest", timeout_seconds=options.publish_timeout_seconds
    )


def serve(
    settings: Settings, *, sources_file: Path, host: str, port: int, options: PushOptions
) -> None:
    configure_logging(settings, SERVICE)
    sources = load_sources(sources_file)
    registry = new_registry()
    kafka = publisher(settings, options)
    app = create_app(
        settings,
        publisher=kafka,
        dedup_store=dedup_store(settings),
        sources=sources,
        metrics=IngestMetrics(registry),
        options=options,
    )
    serve_metrics(registry, settings.ingest_metrics_port, "QINGLIAN_INGEST_METRICS_PORT", host=host)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        kafka.close()


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
