"""Tunables of the push API, read from the QINGLIAN_INGEST_* settings; tests build them directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from qinglian.settings import Settings
from services.ingest.domain.batch import BodyLimits

DEFAULT_SIGNATURE_WINDOW_SECONDS = 300
DEFAULT_PUBLISH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class PushOptions:
    limits: BodyLimits = field(default_factory=BodyLimits)
    signature_window: timedelta = timedelta(seconds=DEFAULT_SIGNATURE_WINDOW_SECONDS)
    publish_timeout_seconds: float = DEFAULT_PUBLISH_TIMEOUT_SECONDS
    retry_after_seconds: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> PushOptions:
        return cls(
            limits=BodyLimits(max_bytes=settings.ingest_max_body_bytes, max_events=settings.ingest_max_events),
            signature_window=timedelta(seconds=settings.ingest_signature_window_seconds),
            publish_timeout_seconds=settings.ingest_publish_timeout_seconds,
        )
