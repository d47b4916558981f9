"""XLSX in and out for officials (openpyxl): read the first sheet's rows under its header row; write a sheet.

Reading is bounded: a workbook that would unpack to more than ``max_unpacked`` bytes is refused before it is
opened, the sheet is streamed (read-only mode), and a sheet longer than ``max_rows`` stops the read.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UnreadableWorkbook(Exception):
    """The bytes are not a workbook openpyxl can read."""


class TooManyRows(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows")
        self.limit = limit


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    # (spreadsheet row number, values by header); blank rows are left out.
    rows: list[tuple[int, dict[str, Any]]]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_unpacked_size(data: bytes, limit: int) -> None:
    """A workbook is a zip: refuse one that would unpack to more than ``limit`` bytes before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableWorkbook(str(exc)) from exc
    if unpacked > limit:
        raise UnreadableWorkbook(f"the workbook unpacks to {unpacked} bytes, more than {limit}")


def read_first_sheet(data: bytes, *, max_rows: int, max_unpacked: int = 200 * 1_048_576) -> Sheet:
    _check_unpacked_size(data, max_unpacked)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl's own InvalidFileException, zip and XML errors: all mean "cannot read it"
        raise UnreadableWorkbook(str(exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header_line = next(lines, None) or ()
        headers = ["" if _blank(h) else str(h).strip() for h in header_line]
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, line in enumerate(lines, start=2):
            if all(_blank(v) for v in line):
                continue
            if len(rows) == max_rows:
                raise TooManyRows(max_rows)
            rows.append((number, {h: v for h, v in zip(headers, line, strict=False) if h}))
        return Sheet(headers, rows)
    except (TooManyRows, UnreadableWorkbook):
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged sheet: all mean "cannot read it"
        raise UnreadableWorkbook(str(exc)) from exc
    finally:
        workbook.close()


def write_workbook(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]] = (),
    *,
    text_columns: Sequence[int] = (),
    notes: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> bytes:
    """One sheet with a bold header row, then optional sheets of notes. ``text_columns`` (0-based) are
    formatted as text, so that Excel keeps long digit strings such as an all-digit USCC intact."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        sheet.append(list(row))
    for index, header in enumerate(headers):
        column = sheet.column_dimensions[get_column_letter(index + 1)]
        column.width = max(12, 2 * len(header) + 4)
        if index in text_columns:
            column.number_format = "@"  # the column's style: what people type there stays text
    sheet.freeze_panes = "A2"
    for note_title, note_rows in notes:
        extra = workbook.create_sheet(note_title)
        for row in note_rows:
            extra.append(list(row))
        extra.column_dimensions["A"].width = 24
        extra.column_dimensions["B"].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
