"""Drop folders: files placed in a folder, each processed once, then moved out of the way.

    <folder>/              files land here (names starting with "." are ignored:
                           writers write ".name.partial" and rename when complete)
    <folder>/archive/      every record of the file was accepted (or a duplicate)
    <folder>/rejected/     at least one record was rejected, or the file could not be read,
                           with <name>.report.csv and <name>.report.json beside it

A file whose records are partly bad still delivers its good records: rejecting
the whole export for one typo would hold back a school's day of data, and the bad
records are in the dead-letter topic and the report anyway. The file goes to
``rejected/`` so somebody looks at the report.

A file is a checkpoint stream named after its content hash (``file:<sha256>``):
the position counts the records stored and keeps the report rows, so a crash in
the middle of a file resumes after the last stored batch, and the same content
dropped again (under any name) is not ingested twice. The format of the files
(CSV/XLSX rows, OCDS lines) is a ``FileFormat``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from services.ingest.connectors.domain.checkpoint import Batch, Checkpoint
from services.ingest.connectors.domain.spec import Common
from services.ingest.connectors.errors import SourceUnavailable
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.connectors.sources.base import BaseConnector
from services.ingest.domain.results import ItemResult, ItemStatus

log = structlog.get_logger(__name__)

ARCHIVE = "archive"
REJECTED = "rejected"
REPORT_COLUMNS = ("row", "column", "field", "rule", "reason")
UNREADABLE_FILE = "unreadable_file"
UNREADABLE_RECORD = "unreadable_record"


class UnreadableFile(ValueError):
    """The whole file cannot be read (encoding, format, missing columns); the message goes in the report."""


@dataclass(frozen=True, slots=True)
class Record:
    number: int  # spreadsheet row (the header is row 1) or line number
    items: list[object]
    problem: str | None = None  # why the record is not what it should be; it is still dead-lettered


@dataclass(frozen=True, slots=True)
class ParsedFile:
    records: list[Record]
    column_of: Callable[
        [str], str | None
    ]  # contract violation path → source column, for the report


class FileFormat(Protocol):
    def accepts(self, name: str) -> bool: ...

    def parse(self, name: str, content: bytes, content_hash: str) -> ParsedFile: ...


@dataclass(slots=True)
class FileProgress:
    name: str
    sha256: str
    total: int
    done: int = 0
    finished: bool = False
    report: list[dict[str, Any]] = field(default_factory=list)

    def position(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256,
            "records": self.total,
            "records_done": self.done,
            "state": "done" if self.finished else "reading",
            "report": self.report,
        }

    @classmethod
    def from_position(cls, position: dict[str, Any]) -> FileProgress:
        return cls(
            name=str(position["file"]),
            sha256=str(position["sha256"]),
            total=int(position["records"]),
            done=int(position["records_done"]),
            finished=position.get("state") == "done",
            report=list(position.get("report", [])),
        )


@dataclass(slots=True, kw_only=True)
class FileBatch(Batch):
    path: Path
    progress: FileProgress  # shared by the batches of one file: what was stored so far
    records: int = 0
    final: bool = False
    problems: dict[int, str] = field(default_factory=dict)
    column_of: Callable[[str], str | None] = lambda path: None


class FolderConnector(BaseConnector):
    def __init__(
        self,
        common: Common,
        event_types: tuple[str, ...],
        folder: Path,
        file_format: FileFormat,
        **callbacks: Any,
    ) -> None:
        super().__init__(common, event_types, **callbacks)
        self.folder = folder
        self.file_format = file_format

    def connect(self) -> None:
        if not self.folder.is_dir():
            raise SourceUnavailable(
                f"投递目录不存在 / connector '{self.connector_id}': the drop folder {self.folder} does not exist"
            )
        for name in (ARCHIVE, REJECTED):
            (self.folder / name).mkdir(exist_ok=True)

    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]:
        for path in self._incoming():
            try:
                content = path.read_bytes()
            except OSError as exc:
                log.warning(
                    "dropped file vanished or is unreadable", file=path.name, error=str(exc)
                )
                continue
            digest = hashlib.sha256(content).hexdigest()
            saved = checkpoints.load_stream(self.connector_id, f"file:{digest}")
            progress = FileProgress.from_position(dict(saved.position)) if saved else None
            if progress is not None and progress.finished:
                log.info(
                    "file already processed; not ingested again", file=path.name, sha256=digest
                )
                self._finish(path, progress)
                continue
            yield from self._file_batches(path, content, digest, progress)

    def _file_batches(
        self, path: Path, content: bytes, digest: str, progress: FileProgress | None
    ) -> Iterator[FileBatch]:
        stream, watermark = f"file:{digest}", datetime.fromtimestamp(path.stat().st_mtime, UTC)
        try:
            parsed = self.file_format.parse(path.name, content, digest)
        except UnreadableFile as exc:
            log.error("dropped file cannot be read", file=path.name, reason=str(exc))
            unreadable = FileProgress(path.name, digest, 0)
            unreadable.report.append(_report_row(None, "", "", UNREADABLE_FILE, str(exc)))
            yield FileBatch(
                [], Checkpoint(stream, {}, watermark), path=path, progress=unreadable, final=True
            )
            return
        progress = progress or FileProgress(path.name, digest, len(parsed.records))
        pending = parsed.records[progress.done :]
        size = self.common.batch_size
        chunks = [pending[start : start + size] for start in range(0, len(pending), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            yield FileBatch(
                items=[item for record in chunk for item in record.items],
                checkpoint=Checkpoint(stream, {}, watermark),
                origins=[record.number for record in chunk for _ in record.items],
                path=path,
                progress=progress,
                records=len(chunk),
                final=number == len(chunks),
                problems={record.number: record.problem for record in chunk if record.problem},
                column_of=parsed.column_of,
            )

    def checkpoint_after(self, batch: Batch, results: Sequence[ItemResult]) -> Checkpoint:
        assert isinstance(batch, FileBatch)
        progress = batch.progress
        progress.done += batch.records
        progress.finished = batch.final
        progress.report.extend(_rejections(batch, results))
        return Checkpoint(batch.checkpoint.stream, progress.position(), batch.checkpoint.watermark)

    def committed(self, batch: Batch, results: Sequence[ItemResult]) -> None:
        assert isinstance(batch, FileBatch)
        if batch.final:
            self._finish(batch.path, batch.progress)

    def _incoming(self) -> list[Path]:
        candidates = [
            path
            for path in self.folder.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and self.file_format.accepts(path.name)
        ]
        return sorted(candidates, key=lambda path: (path.stat().st_mtime, path.name))

    def _finish(self, path: Path, progress: FileProgress) -> None:
        """Write the report (if any) and move the file out; safe to repeat after a crash."""
        outcome = REJECTED if progress.report else ARCHIVE
        target = self.folder / outcome / path.name
        if target.exists():
            target = target.with_name(f"{path.stem}.{progress.sha256[:12]}{path.suffix}")
        if progress.report:
            write_report(target, progress.report)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return
        log.info(
            "dropped file processed",
            file=path.name,
            outcome=outcome,
            rejected_rows=len(progress.report),
        )


def _rejections(batch: FileBatch, results: Sequence[ItemResult]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for result in results:
        if result.status is not ItemStatus.REJECTED:
            continue
        number = batch.origins[result.index]
        problem = batch.problems.get(number)
        if problem is not None:
            rows.append(_report_row(number, "", "", UNREADABLE_RECORD, problem))
            continue
        for reason in result.reasons:
            column = batch.column_of(reason.path) or ""
            rows.append(_report_row(number, column, reason.path, reason.rule, reason.message))
    return rows


def _report_row(
    row: int | None, column: str, field_path: str, rule: str, reason: str
) -> dict[str, Any]:
    return {"row": row, "column": column, "field": field_path, "rule": rule, "reason": reason}


def write_report(moved_file: Path, rows: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    """``<file>.report.csv`` (for people, opens in Excel) and ``<file>.report.json`` (for programs)."""
    as_csv = moved_file.with_name(f"{moved_file.name}.report.csv")
    as_json = moved_file.with_name(f"{moved_file.name}.report.json")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=REPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    as_csv.write_text(text.getvalue(), encoding="utf-8-sig")
    as_json.write_text(
        json.dumps({"file": moved_file.name, "rows": list(rows)}, ensure_ascii=False, indent=2),
        "utf-8",
    )
    return as_csv, as_json
