"""CSV and XLSX exports in a drop folder: one row, one event, mapped by the file's pattern in the connectors file.

Rows are numbered as a spreadsheet shows them (the header is row 1), so the
reason report points a school clerk at the right line. Empty cells are NULL.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import PurePath
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from services.ingest.connectors.domain.mapping import event_id, to_event
from services.ingest.connectors.domain.spec import FileSpec, FolderSpec, event_types
from services.ingest.connectors.sources.folder import (
    FolderConnector,
    ParsedFile,
    Record,
    UnreadableFile,
)

SUFFIXES = frozenset({".csv", ".xlsx"})

Row = tuple[int, dict[str, Any]]


def file_drop_connector(spec: FolderSpec, **callbacks: Any) -> FolderConnector:
    file_format = TabularFormat(spec.common.connector_id, spec.common.event_source, spec.files)
    return FolderConnector(spec.common, event_types(spec), spec.folder, file_format, **callbacks)


class TabularFormat:
    def __init__(self, connector_id: str, event_source: str, files: tuple[FileSpec, ...]) -> None:
        self.connector_id = connector_id
        self.event_source = event_source
        self.files = files

    def accepts(self, name: str) -> bool:
        return PurePath(name).suffix.lower() in SUFFIXES and self._spec_for(name) is not None

    def parse(self, name: str, content: bytes, content_hash: str) -> ParsedFile:
        spec = self._spec_for(name)
        assert spec is not None, "accepts() chose this file"
        header, rows = (
            _xlsx(content, spec) if name.lower().endswith(".xlsx") else _csv(content, spec)
        )
        missing = sorted(spec.mapping.columns - set(header))
        if missing:
            raise UnreadableFile(f"缺少列 / the header lacks column(s): {', '.join(missing)}")
        records = [
            Record(number, [self._event(spec, row, content_hash, number)]) for number, row in rows
        ]
        return ParsedFile(records, spec.mapping.column_of)

    def _event(
        self, spec: FileSpec, row: dict[str, Any], content_hash: str, number: int
    ) -> dict[str, Any]:
        mapping = spec.mapping
        identity = (
            spec.record_id(self.connector_id, row)
            if mapping.key
            else event_id(self.connector_id, content_hash, number)
        )
        return to_event(mapping, row, source=self.event_source, event_id=identity)

    def _spec_for(self, name: str) -> FileSpec | None:
        return next((spec for spec in self.files if fnmatchcase(name, spec.pattern)), None)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _header(cells: list[Any]) -> list[str]:
    header = [str(cell).strip() if cell is not None else "" for cell in cells]
    named = [name for name in header if name]
    if len(set(named)) != len(named):
        raise UnreadableFile("表头有重复列名 / the header names a column twice")
    return header


def _rows(header: list[str], lines: Iterator[tuple[int, list[Any]]]) -> list[Row]:
    rows = []
    for number, cells in lines:
        values = [_cell(cell) for cell in cells]
        if all(value is None for value in values):
            continue
        values += [None] * (len(header) - len(values))
        rows.append(
            (number, {name: value for name, value in zip(header, values, strict=False) if name})
        )
    return rows


def _csv(content: bytes, spec: FileSpec) -> tuple[list[str], list[Row]]:
    try:
        text = content.decode(spec.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(
            f"文件编码不是 {spec.encoding} / the file is not encoded in {spec.encoding}; set 'encoding' (e.g. gb18030)"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
    try:
        first = next(reader, None)
        if first is None:
            raise UnreadableFile("文件为空 / the file is empty")
        header = _header(first)
        return header, _rows(
            header, ((number, line) for number, line in enumerate(reader, start=2))
        )
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 格式错误 / malformed CSV: {exc}") from exc


def _xlsx(content: bytes, spec: FileSpec) -> tuple[list[str], list[Row]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(
            f"不是有效的 XLSX 文件 / not a readable XLSX workbook ({exc.__class__.__name__})"
        ) from exc
    try:
        if spec.sheet is not None and spec.sheet not in workbook.sheetnames:
            raise UnreadableFile(f"缺少工作表 / the workbook has no sheet {spec.sheet!r}")
        sheet = workbook[spec.sheet] if spec.sheet else workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        first = next(lines, None)
        if first is None:
            raise UnreadableFile("工作表为空 / the sheet is empty")
        header = _header(list(first))
        return header, _rows(
            header, ((number, list(line)) for number, line in enumerate(lines, start=2))
        )
    finally:
        workbook.close()
