"""Routes for registering organisations in bulk from XLSX (批量导入), and the blank template.

The import takes no ``Idempotency-Key``: it is all-or-nothing, and sending the same file again is refused
row by row (every USCC is then already registered), so a retry can never register anything twice.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sihua_shared.auth import Actor, require_roles
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.problems import ProblemError, field_error
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.storage import sniff

from ..adapters.xlsx import XLSX_TYPE, Sheet, TooManyRows, UnreadableWorkbook, read_first_sheet, write_workbook
from ..application.organisation_import import COLUMNS, HEADERS, MAX_IMPORT_ROWS, import_organisations
from ..application.organisation_profile import KIND_LABELS
from ..domain.access import OFFICIALS

router = APIRouter(prefix="/organisations", tags=["organisations 组织"])

# A spreadsheet of organisations is small; a larger upload is refused before it is unpacked.
MAX_IMPORT_BYTES = 5 * 1_048_576
TEMPLATE_NAME = "组织批量导入模板.xlsx"


class ImportedRow(BaseModel):
    row: int
    id: str
    uscc: str
    name: str
    kind: str
    district: str | None
    size_class: str | None


class ImportResult(BaseModel):
    imported: int
    items: list[ImportedRow]


def _file_problem(status: int, code: str, zh: str, en: str) -> ProblemError:
    return ProblemError(status, code, en, errors=[field_error("body.file", zh, en)])


async def _read_sheet(upload: UploadFile, limit: int) -> Sheet:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise _file_problem(413, "file_too_large", f"文件超过 {limit // 1_048_576} MB 上限", f"the file exceeds {limit} bytes")
    sniff(data, {"xlsx": XLSX_TYPE}, field="body.file")
    try:
        return await asyncio.to_thread(read_first_sheet, data, max_rows=MAX_IMPORT_ROWS)
    except TooManyRows as exc:
        raise _file_problem(
            422, "too_many_rows", f"一次最多导入 {exc.limit} 行，请拆分文件", f"at most {exc.limit} rows per import; split the file"
        ) from exc
    except UnreadableWorkbook as exc:
        raise _file_problem(422, "unreadable_file", "无法读取该 Excel 文件", f"the workbook cannot be read: {exc}") from exc


@router.post(
    "/import",
    status_code=201,
    summary="批量导入组织 / Import organisations from XLSX",
    description=(
        "Officials upload an XLSX (multipart field `file`, checked by content, at most 5 MB and "
        f"{MAX_IMPORT_ROWS} rows) with the headers of the template: {'、'.join(HEADERS)}. Every row is checked "
        "first; when any row fails the answer is 422 with `report: [{row, field, column, message_zh, message_en}]` "
        "and nothing is imported. Otherwise every row is registered in one transaction, each publishing "
        "`organisation.registered`. A district officer imports organisations of their own district."
    ),
    response_model=ImportResult,
)
async def import_file(
    file: UploadFile = File(..., description="XLSX 文件"),
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    sheet = await _read_sheet(file, min(MAX_IMPORT_BYTES, runtime.settings.max_upload_bytes))
    async with runtime.uow() as session:
        created = await import_organisations(session, actor, sheet, jurisdiction=runtime.jurisdiction)
    result = ImportResult(imported=len(created), items=[ImportedRow(**row) for row in created])
    return JSONResponse(result.model_dump(mode="json"), status_code=201)


def _notes(jurisdiction: Jurisdiction) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [("列", "填写说明"), *((c.header + ("（必填）" if c.required else ""), c.hint) for c in COLUMNS)]
    rows += [(), ("类型", "可填")] + [(label, code) for code, label in KIND_LABELS.items()]
    rows += [(), ("所在区", "可填")] + [(d.name_zh, d.code) for d in jurisdiction.districts]
    rows += [(), ("行业（试点行业）", "开展试点的区")]
    rows += [
        (s.name_zh, "、".join(d.name_zh for d in jurisdiction.districts if d.code in s.districts) or "全市")
        for s in jurisdiction.pilot_sectors
    ]
    return rows


@router.get(
    "/import-template",
    summary="下载导入模板 / Download the import template",
    description="The XLSX template for the import: the header row, and a sheet of the values each column accepts.",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}},
)
async def import_template(
    _: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    uscc_column = HEADERS.index("统一社会信用代码")
    content = await asyncio.to_thread(
        write_workbook, "组织", HEADERS, text_columns=[uscc_column], notes=[("填写说明", _notes(runtime.jurisdiction))]
    )
    disposition = f"attachment; filename=\"organisations-template.xlsx\"; filename*=UTF-8''{quote(TEMPLATE_NAME)}"
    return Response(content, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})
