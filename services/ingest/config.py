"""Tunables of the push API. The composition root receives them; the CLI maps options onto them.

Proposed settings (not yet in qinglian.settings): QINGLIAN_INGEST_SOURCES_FILE,
QINGLIAN_INGEST_MAX_BODY_BYTES, QINGLIAN_INGEST_MAX_EVENTS,
QINGLIAN_INGEST_SIGNATURE_WINDOW_SECONDS, QINGLIAN_INGEST_PUBLISH_TIMEOUT_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from services.ingest.domain.batch import BodyLimits

DEFAULT_SIGNATURE_WINDOW_SECONDS = 300
DEFAULT_PUBLISH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class PushOptions:
    limits: BodyLimits = field(default_factory=BodyLimits)
    signature_window: timedelta = timedelta(seconds=DEFAULT_SIGNATURE_WINDOW_SECONDS)
    publish_timeout_seconds: float = DEFAULT_PUBLISH_TIMEOUT_SECONDS
    retry_after_seconds: int = 10
