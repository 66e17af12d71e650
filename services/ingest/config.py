"""Tunables of the push API, read from the QINGLIAN_INGEST_* settings; tests build them directly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from qinglian.settings import Settings
from services.ingest.domain.batch import BodyLimits

DEFAULT_SIGNATURE_WINDOW_SECONDS = 300
DEFAULT_PUBLISH_TIMEOUT_SECONDS = 5.0
# Each worker holds its own Kafka producer and database pool: a bigger host chooses its count.
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """One push-API process per core (one Python process uses one core), at most MAX_DEFAULT_WORKERS."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True, slots=True)
class PushOptions:
    limits: BodyLimits = field(default_factory=BodyLimits)
    signature_window: timedelta = timedelta(seconds=DEFAULT_SIGNATURE_WINDOW_SECONDS)
    publish_timeout_seconds: float = DEFAULT_PUBLISH_TIMEOUT_SECONDS
    retry_after_seconds: int = 10
    # One of several worker processes: a keep-alive connection stays with the worker that
    # accepted it, so a few busy senders can load one worker while another idles. Answering
    # "Connection: close" while this worker is busy with another push makes the sender
    # reconnect, and the kernel hands the new connection to whichever worker accepts first,
    # usually an idle one.
    spread_busy_connections: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> PushOptions:
        return cls(
            limits=BodyLimits(
                max_bytes=settings.ingest_max_body_bytes, max_events=settings.ingest_max_events
            ),
            signature_window=timedelta(seconds=settings.ingest_signature_window_seconds),
            publish_timeout_seconds=settings.ingest_publish_timeout_seconds,
        )
