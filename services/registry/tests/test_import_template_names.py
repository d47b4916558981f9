"""Issue 10 §4: the XLSX import accepts the Chinese sector and district names its own template asks for — every name
the template's 填写说明 sheet lists, for each shipped jurisdiction, typed back into the template's own sheet."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from registry.main import create_app
from sihua_shared.jurisdiction import load_jurisdiction
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client

ORGS = "/api/registry/v1/organisations"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sections(notes: Any) -> dict[str, list[tuple[str, str]]]:
    """The notes sheet's blocks: heading → its (name, second column) rows."""
    blocks: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for first, second in notes.iter_rows(min_col=1, max_col=2, values_only=True):
        if first is None:
            current = None
        elif current is None:
            current = blocks.setdefault(str(first), [])
        else:
            current.append((str(first), "" if second is None else str(second)))
    return blocks


@pytest.mark.parametrize("code", ["guangzhou", "zhongshan"])
async def test_every_district_and_sector_name_of_the_template_imports(stack: Stack, code: str) -> None:
    jurisdiction = load_jurisdiction(code)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(await stack.settings("registry", jurisdiction=code))) as client:
        template = await client.get(f"{ORGS}/import-template", headers=city)
        assert template.status_code == 200
        book = load_workbook(io.BytesIO(template.content))
        sheet, notes = book.worksheets[0], book["填写说明"]
        blocks = _sections(notes)
        districts = [name for name, _ in blocks["所在区"]]
        sectors = blocks["行业（试点行业）"]
        assert districts == [d.name_zh for d in jurisdiction.districts]
        assert [name for name, _ in sectors] == [s.name_zh for s in jurisdiction.pilot_sectors]

        expected: list[tuple[str, str | None]] = []
        n = 0
        for district in districts:  # every district, by the name the template gives
            n += 1
            sheet.append([f"{district}示例企业{n}有限公司", make_uscc(3000 + n), "企业", district, None, "C2110", 30, 500])
            expected.append((next(d.code for d in jurisdiction.districts if d.name_zh == district), None))
        for name, where in sectors:  # every pilot sector, in a district the template says it is carried out in
            n += 1
            district = districts[0] if where == "全市" else where.split("、")[0]
            sheet.append([f"{name}示例企业{n}有限公司", make_uscc(3000 + n), "企业", district, name, "C2110", 30, 500])
            sector = next(s for s in jurisdiction.pilot_sectors if s.name_zh == name)
            assert not sector.districts or next(d.code for d in jurisdiction.districts if d.name_zh == district) in sector.districts
            expected.append((next(d.code for d in jurisdiction.districts if d.name_zh == district), sector.code))
        filled = io.BytesIO()
        book.save(filled)

        response = await client.post(f"{ORGS}/import", files={"file": ("组织.xlsx", filled.getvalue(), XLSX)}, headers=city)
        assert response.status_code == 201, response.text
        assert response.json()["imported"] == len(expected)
        imported = response.json()["items"]
        for item, (district_code, sector_code) in zip(imported, expected, strict=True):
            assert item["district"] == district_code
            if sector_code is not None:
                stored = await client.get(f"{ORGS}/{item['id']}", headers=city)
                assert stored.json()["sector"] == sector_code
