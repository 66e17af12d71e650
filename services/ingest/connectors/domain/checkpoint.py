"""Checkpoints: how far a connector got in each of its streams.

A connector reads one or more *streams* (a staging table, a REST resource, a
dropped file) and stores one checkpoint per stream. The position is plain JSON
whose shape belongs to the connector kind; the watermark is the newest source
time the position covers (for the lag metric and `pull status`).

A checkpoint is written only after the ingest use case returned, i.e. after
Kafka acknowledged every event of the batch (at-least-once; re-pulled events
carry the same ids and are answered "duplicate").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Checkpoint:
    stream: str
    position: Mapping[str, Any]
    watermark: datetime | None = None


@dataclass(frozen=True, slots=True)
class SavedCheckpoint:
    connector_id: str
    checkpoint: Checkpoint
    saved_at: datetime


@dataclass(slots=True)
class Batch:
    """Items for one ingest call, and the checkpoint to store once Kafka acknowledged them."""

    items: list[object]
    checkpoint: Checkpoint
    origins: list[int] = field(
        default_factory=list
    )  # per item: the source row or line it came from


@dataclass(frozen=True, slots=True, order=True)
class Watermark:
    """Keyset position in a staging table: the last (updated_at, primary key) stored.

    Ordering by both columns means rows sharing an ``updated_at`` are never skipped
    at a batch boundary: the next query asks for ``(updated_at, pk) > watermark``.
    """

    updated_at: datetime
    key: int | str

    def position(self) -> dict[str, Any]:
        return {"updated_at": self.updated_at.isoformat(), "key": self.key}

    @classmethod
    def from_position(cls, position: Mapping[str, Any]) -> Watermark | None:
        if "updated_at" not in position:
            return None
        return cls(datetime.fromisoformat(str(position["updated_at"])), position["key"])
