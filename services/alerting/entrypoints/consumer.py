"""The consumer loop of `qinglian alerting consume`, also one worker of `qinglian alerting serve`."""

from __future__ import annotations

import threading
import time

import structlog
from sqlalchemy.exc import SQLAlchemyError

from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import alerts_topic, deadletter_topic
from services.alerting.adapters.alert_consumer import AlertConsumer, BatchResult, ConsumerTuning
from services.alerting.adapters.deadletter import KafkaDeadLetterSink
from services.alerting.bootstrap import AlertingService

GAUGE_REFRESH_SECONDS = 15.0

log = structlog.get_logger(__name__)


def consumer_group(settings: Settings) -> str:
    """``qinglian-alerting`` by default; a deployment (or test) with its own topic prefix gets its own group."""
    return f"{settings.topic_prefix}-alerting"


def consume_alerts(
    settings: Settings,
    service: AlertingService,
    *,
    stop: threading.Event,
    group_id: str | None = None,
    tuning: ConsumerTuning | None = None,
) -> None:
    """Turn alerts into cases until ``stop`` is set; Kafka clients are closed on the way out."""
    tuning = tuning or ConsumerTuning()
    group_id = group_id or consumer_group(settings)
    source = broker.consumer(
        settings, alerts_topic(settings), group_id=group_id, max_poll_records=tuning.batch_size
    )
    sink = KafkaDeadLetterSink(
        broker.durable_producer(settings, client_id=group_id), deadletter_topic(settings)
    )
    consumer = AlertConsumer(
        source, sink, service.ingest, clock=service.clock, source_name=group_id, tuning=tuning
    )
    log.info("consuming alerts", topic=alerts_topic(settings), group=group_id)
    next_refresh = 0.0
    try:
        while not stop.is_set():
            record_rejections(service, consumer.process_batch())
            if time.monotonic() >= next_refresh:
                _refresh_gauges(service)
                next_refresh = time.monotonic() + GAUGE_REFRESH_SECONDS
    finally:
        source.close()
        sink.close()


def record_rejections(service: AlertingService, result: BatchResult) -> None:
    service.metrics.count_alerts("invalid", result.invalid)
    service.metrics.count_alerts("failed", result.failed)


def _refresh_gauges(service: AlertingService) -> None:
    try:
        service.refresh_case_gauges()
    except SQLAlchemyError as exc:
        # The gauges are refreshed again shortly; the consumer itself retries the database on its own.
        log.warning("could not refresh the case gauges", error=str(exc))
