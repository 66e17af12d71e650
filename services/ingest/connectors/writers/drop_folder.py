"""The school clerk's side of a drop folder: CSV or XLSX exports written from events.

Files appear atomically (written under a hidden name, then renamed), as a
connector must never read half an export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from services.ingest.connectors.domain.mapping import to_record
from services.ingest.connectors.domain.spec import FileSpec
from services.ingest.connectors.writers.files import write_atomically


def export_rows(spec: FileSpec, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows an export of these events holds (tamper with them to play a clerk's typo)."""
    return [to_record(spec.mapping, event) for event in events]


class DropFolderWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, name: str, spec: FileSpec, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Write ``rows`` (see ``export_rows``) as CSV or XLSX, chosen by the name's suffix."""
        columns = list(
            dict.fromkeys(
                [*spec.mapping.column_rules(), *(column for row in rows for column in row)]
            )
        )
        content = (
            _xlsx(columns, rows) if name.lower().endswith(".xlsx") else _csv(columns, rows, spec)
        )
        return write_atomically(self.folder / name, content)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | Decimal):
        return str(value)
    return str(value)


def _csv(columns: list[str], rows: Sequence[Mapping[str, Any]], spec: FileSpec) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=spec.delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_text(row.get(column)) for column in columns] for row in rows)
    return text.getvalue().encode(spec.encoding)


def _xlsx(columns: list[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()
