"""Exports for officials: Chinese headers, CSV with a BOM, XLSX readable back, formulas neutralised."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from sihua_shared.exports import Column, export_response, to_csv, to_xlsx

COLUMNS = [Column("number", "称号编号"), Column("name", "单位名称"), Column("valid_until", "有效期至"), Column("amount", "金额（元）")]
ROWS = [
    {"number": "GZ-SH-KP-2026-0001", "name": "广州示例平台有限公司", "valid_until": date(2028, 3, 31), "amount": Decimal("12.30")},
    {"number": "GZ-SH-KP-2026-0002", "name": "=HYPERLINK(\"http://x\")", "valid_until": None, "amount": None},
]


def test_csv_has_a_bom_and_chinese_headers() -> None:
    data = to_csv(ROWS, COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "称号编号,单位名称,有效期至,金额（元）"
    assert lines[1] == "GZ-SH-KP-2026-0001,广州示例平台有限公司,2028-03-31,12.30"
    assert lines[2].startswith('GZ-SH-KP-2026-0002,"\'=HYPERLINK')


def test_xlsx_round_trips() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(ROWS, COLUMNS, sheet="有效称号")))
    ws = book["有效称号"]
    assert [c.value for c in ws[1]] == ["称号编号", "单位名称", "有效期至", "金额（元）"]
    assert [c.value for c in ws[2]] == ["GZ-SH-KP-2026-0001", "广州示例平台有限公司", "2028-03-31", "12.30"]
    assert str(ws["B3"].value).startswith("'=")


def test_download_response_names_the_file_in_chinese() -> None:
    response = export_response(ROWS, COLUMNS, fmt="csv", filename="有效称号名单")
    assert response.media_type == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''%E6%9C%89%E6%95%88" in response.headers["content-disposition"]
