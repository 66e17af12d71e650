"""`qinglian ingest pull status`: where each connector stands, from its stored checkpoints."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from services.ingest.connectors.domain.checkpoint import SavedCheckpoint

FILE_STREAM_PREFIX = "file:"


@dataclass(frozen=True, slots=True)
class StatusLine:
    connector_id: str
    stream: str
    position: str
    watermark: datetime | None
    saved_at: datetime | None
    lag_seconds: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "connector": self.connector_id,
            "stream": self.stream,
            "position": self.position,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "saved_at": self.saved_at.isoformat() if self.saved_at else None,
            "lag_seconds": self.lag_seconds,
        }


def status_lines(
    saved: Iterable[SavedCheckpoint], configured: Sequence[str], now: datetime, zone: tzinfo = UTC
) -> list[StatusLine]:
    """One line per table or resource; a drop folder's files summed up in one line; never-run connectors too.

    Times are shown in ``zone`` (the district's time zone).
    """
    by_connector: dict[str, list[SavedCheckpoint]] = defaultdict(list)
    for checkpoint in saved:
        by_connector[checkpoint.connector_id].append(checkpoint)
    lines: list[StatusLine] = []
    for connector_id in dict.fromkeys([*configured, *sorted(by_connector)]):
        checkpoints = by_connector.get(connector_id, [])
        if not checkpoints:
            lines.append(StatusLine(connector_id, "-", "从未拉取 / never pulled", None, None, None))
            continue
        streams = [c for c in checkpoints if not c.checkpoint.stream.startswith(FILE_STREAM_PREFIX)]
        files = [c for c in checkpoints if c.checkpoint.stream.startswith(FILE_STREAM_PREFIX)]
        lines += [_stream_line(checkpoint, now) for checkpoint in streams]
        if files:
            lines.append(_files_line(connector_id, files, now))
    return [
        replace(line, watermark=_in(line.watermark, zone), saved_at=_in(line.saved_at, zone))
        for line in lines
    ]


def _in(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def _lag(watermark: datetime | None, now: datetime) -> float | None:
    return (now - watermark).total_seconds() if watermark else None


def _stream_line(saved: SavedCheckpoint, now: datetime) -> StatusLine:
    checkpoint = saved.checkpoint
    position = (
        ", ".join(f"{name}={_shown(value)}" for name, value in checkpoint.position.items()) or "-"
    )
    return StatusLine(
        saved.connector_id,
        checkpoint.stream,
        position,
        checkpoint.watermark,
        saved.saved_at,
        _lag(checkpoint.watermark, now),
    )


def _shown(value: object) -> object:
    """A position's value as status shows it: a list (the ids a REST page gave) by its length."""
    if not isinstance(value, list):
        return value
    return f"{len(value)} id" if len(value) == 1 else f"{len(value)} ids"


def _files_line(connector_id: str, files: list[SavedCheckpoint], now: datetime) -> StatusLine:
    states = Counter(
        "rejected"
        if saved.checkpoint.position.get("report")
        else str(saved.checkpoint.position.get("state"))
        for saved in files
    )
    newest = max(files, key=lambda saved: saved.saved_at)
    summary = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
    position = f"{len(files)} file(s): {summary}; last {newest.checkpoint.position.get('file')}"
    watermark = max(
        (saved.checkpoint.watermark for saved in files if saved.checkpoint.watermark), default=None
    )
    return StatusLine(
        connector_id, "files", position, watermark, newest.saved_at, _lag(watermark, now)
    )
