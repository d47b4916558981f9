"""Routes for the programme KPIs against the pilot's targets: JSON, XLSX or a PNG chart."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.errors import forbidden
from sihua_shared.exports import XLSX_TYPE, Column, to_xlsx
from sihua_shared.runtime import Runtime, get_runtime

from ..adapters.kpi_chart import kpi_chart
from ..application.kpis import kpis
from ..domain.access import KPI_READERS, programme, programme_district
from .schemas import KpiReport

router = APIRouter(prefix="/programme", tags=["programme KPIs 试点目标"])
COLUMNS = [Column("name_zh", "指标", 40), Column("target", "目标"), Column("actual", "完成"), Column("share", "完成率"),
           Column("source", "依据"), Column("reading", "统计口径", 30), Column("by_sector", "按行业", 40),
           Column("by_district", "按区", 40), Column("by_quarter", "各季度末累计", 40)]
RESPONSES: dict[int | str, dict[str, object]] = {200: {"description": "JSON，或 XLSX / PNG 文件（`format`）", "content": {
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    "image/png": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/kpis", response_model=KpiReport, responses=RESPONSES,
            summary="试点目标完成情况 / Programme KPIs against the targets",
            description="S2 二's targets (710 enterprises at 二级+, 40 workshops, 40 factories, 50 quality providers, 360 "
                        "products, 50 scenarios, 20 chain cases, 5 clusters, 2,000 training person-times) and S3's >1,000 "
                        "enterprises served a year, by sector and district; `format=xlsx` or `png` for a file.")
async def programme_kpis(year: int = Query(2026, ge=2020, le=2099, description="年度"),
                         format: Literal["json", "xlsx", "png"] = Query("json", description="格式"),
                         actor: Actor = Depends(require_roles(*KPI_READERS)),
                         runtime: Runtime = Depends(get_runtime)) -> Response | KpiReport:
    if programme(actor).nothing:
        raise forbidden("未绑定辖区的账号不能查看试点指标", "an account bound to no district sees no programme figures")
    async with runtime.uow() as session:
        report = await kpis(session, year=year, district=programme_district(actor))
    if format == "png":
        return Response(kpi_chart(report), media_type="image/png")
    if format == "xlsx":
        rows = [{**r, "by_sector": ", ".join(f"{k}: {v}" for k, v in r["by_sector"].items()),
                 "by_district": ", ".join(f"{k}: {v}" for k, v in r["by_district"].items()),
                 "by_quarter": ", ".join(f"{k}: {v}" for k, v in r["by_quarter"].items())} for r in report["kpis"]]
        return Response(to_xlsx(rows, COLUMNS, sheet="试点目标"), media_type=XLSX_TYPE,
                        headers={"Content-Disposition": "attachment; filename=\"kpis.xlsx\""})
    return KpiReport.model_validate(report)
