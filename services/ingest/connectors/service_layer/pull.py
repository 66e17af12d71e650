"""The pull use case: read what is new at a source, hand it to the ingest use case, then move the checkpoint.

Order, per batch, is what makes a restart safe:

    1. ingest(...)          validates, pseudonymizes, publishes, dead-letters; returns
                            only once Kafka acknowledged every write (else raises
                            StorageUnavailable, and nothing below happens)
    2. checkpoint saved     the next pass, or a restarted process, starts after the batch
    3. committed(...)       side effects that must follow the checkpoint (moving a file)

A crash between 1 and 2 re-reads the batch: its events carry the same ids and the
ingest use case answers them "duplicate" instead of publishing them again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from structlog.contextvars import bound_contextvars

from services.ingest.connectors.service_layer.ports import (
    CheckpointStore,
    Connector,
    ConnectorMetrics,
)
from services.ingest.domain.deadletter import Stage
from services.ingest.service_layer.ingestion import Ingestion, ingest

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PullDeps:
    ingestion: Ingestion
    checkpoints: CheckpointStore
    metrics: ConnectorMetrics
    clock: Callable[[], datetime]


@dataclass(slots=True)
class PullSummary:
    connector_id: str
    batches: int = 0
    results: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        counts = ", ".join(
            f"{status} {self.results[status]}" for status in ("accepted", "duplicate", "rejected")
        )
        return f"{self.connector_id}: {self.batches} batch(es); {counts}"


def drain(connector: Connector, deps: PullDeps) -> PullSummary:
    """Pull until the source has nothing new; every stored batch moves its checkpoint."""
    summary = PullSummary(connector.connector_id)
    with bound_contextvars(connector=connector.connector_id):
        known = deps.checkpoints.load(connector.connector_id).values()
        deps.metrics.watermark(
            connector.connector_id, max((c.watermark for c in known if c.watermark), default=None)
        )
        for batch in connector.batches(deps.checkpoints):
            results = (
                ingest(
                    deps.ingestion,
                    batch.items,
                    connector.source_system,
                    received_at=deps.clock(),
                    stage=Stage.PULL,
                )
                if batch.items
                else []
            )
            checkpoint = connector.checkpoint_after(batch, results)
            deps.checkpoints.save(connector.connector_id, checkpoint, deps.clock())
            connector.committed(batch, results)
            deps.metrics.recorded(connector.connector_id, results)
            deps.metrics.watermark(connector.connector_id, checkpoint.watermark)
            summary.batches += 1
            summary.results.update(result.status.value for result in results)
            log.debug("batch stored", stream=checkpoint.stream, events=len(batch.items))
        deps.metrics.succeeded(connector.connector_id, deps.clock())
        log.info("pull pass done", batches=summary.batches, **summary.results)
    return summary
