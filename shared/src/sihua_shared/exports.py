"""Files for officials: XLSX, and CSV in UTF-8 with a BOM so that Excel and WPS open Chinese correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# A list offered as JSON, XLSX or CSV (`format=`), as OpenAPI declares its 200 answer (merged with the JSON one).
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON，或 XLSX / CSV 文件（`format`）/ JSON, or an XLSX or CSV file as `format` asks",
        "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}, "text/csv": {"schema": {"type": "string"}}},
    }
}


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str
    width: int = 16


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return str(value)  # exact, never a float
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _guard(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header_zh for c in columns])
    for row in rows:
        writer.writerow([_guard(_cell(row.get(c.key))) for c in columns])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], *, sheet: str = "Sheet1") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([c.header_zh for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_guard(_cell(row.get(c.key))) for c in columns])
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = column.width
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], *, fmt: str, filename: str, sheet: str = "Sheet1"
) -> Response:
    """The rows as a download, ``fmt`` "xlsx" or "csv"; the file name may be Chinese (RFC 5987)."""
    from urllib.parse import quote

    if fmt == "csv":
        content, media, suffix = to_csv(rows, columns), CSV_TYPE, "csv"
    else:
        content, media, suffix = to_xlsx(rows, columns, sheet=sheet), XLSX_TYPE, "xlsx"
    name = f"{filename}.{suffix}"
    disposition = f"attachment; filename=\"export.{suffix}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
