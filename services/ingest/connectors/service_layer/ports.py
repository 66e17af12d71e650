"""What the pull use case needs: a connector, a checkpoint store, metrics. Adapters implement them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from services.ingest.connectors.domain.checkpoint import Batch, Checkpoint, SavedCheckpoint
from services.ingest.domain.results import ItemResult
from services.ingest.domain.sources import SourceSystem


class CheckpointStore(Protocol):
    def load(self, connector_id: str) -> dict[str, Checkpoint]:
        """Every stream's checkpoint of one connector."""

    def load_stream(self, connector_id: str, stream: str) -> Checkpoint | None: ...

    def save(self, connector_id: str, checkpoint: Checkpoint, saved_at: datetime) -> None: ...

    def saved(self) -> list[SavedCheckpoint]:
        """Every checkpoint of every connector, for `qinglian ingest pull status`."""


class Connector(Protocol):
    """One configured source. ``sources.base.BaseConnector`` implements the lifecycle around it."""

    @property
    def connector_id(self) -> str: ...

    @property
    def source_system(self) -> SourceSystem: ...

    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]:
        """What is new since the stored checkpoints, a batch at a time; lazily, so the
        next batch is read only after the previous one was stored."""

    def checkpoint_after(self, batch: Batch, results: Sequence[ItemResult]) -> Checkpoint:
        """The checkpoint to store now that Kafka acknowledged the batch."""

    def committed(self, batch: Batch, results: Sequence[ItemResult]) -> None:
        """Called once the checkpoint is stored (a dropped file is moved away here)."""


class ConnectorMetrics(Protocol):
    def recorded(self, connector_id: str, results: Sequence[ItemResult]) -> None: ...

    def watermark(self, connector_id: str, watermark: datetime | None) -> None: ...

    def succeeded(self, connector_id: str, at: datetime) -> None: ...
