"""Officials' views: the review queue, the admitted products against the 360 target (S2 二), XLSX exports."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.exports import EXPORT_RESPONSES, Column, export_response
from sihua_shared.http import PageParams, page_params
from sihua_shared.runtime import Runtime, get_runtime

from ..application import views
from ..domain.access import OFFICIAL_VIEWERS

router = APIRouter(tags=["officials 审核与统计"])

ADMITTED_COLUMNS = [
    Column("catalogue_number", "入库编号", 20), Column("name", "产品名称", 30), Column("provider_name", "服务商", 30),
    Column("product_type", "产品类型", 12), Column("sectors", "适用行业", 24), Column("scenes", "场景", 20),
    Column("version", "版本", 6), Column("packages", "套餐与价格", 40), Column("marks", "服务商身份", 20),
    Column("final_score", "评审得分", 10), Column("listing", "状态", 10), Column("admitted_at", "入库时间", 20),
]
RESULT_COLUMNS = [
    Column("name", "产品名称", 30), Column("provider_name", "服务商", 30), Column("number", "版本", 6),
    Column("state", "结果", 12), Column("final_score", "评审得分", 10), Column("reasons", "理由", 40),
    Column("catalogue_number", "入库编号", 20), Column("decided_at", "决定时间", 20),
]


def _joined(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: "、".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()} for r in rows]


@router.get("/review-queue", summary="待审核队列 / The review queue",
            description="Versions submitted, in formal check or in expert review, oldest submission first, with the "
            "panel's progress. City officers and auditors every one; a district officer the district's providers'.")
async def queue(
    state: Literal["submitted", "formal_check", "expert_review"] | None = Query(None, description="审核状态"),
    page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*OFFICIAL_VIEWERS)),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        items, total = await views.review_queue(session, actor, state, page.limit, page.offset)
    return {"items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in i.items()} for i in items],
            "total": total, "limit": page.limit, "offset": page.offset}


@router.get("/statistics/admitted", summary="入库产品统计 / Admitted products against the target",
            description="Listed products by sector, scene and provider against the programme's target (S2 二: at least 360).")
async def statistics(actor: Actor = Depends(require_roles(*OFFICIAL_VIEWERS)),
                     runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    target = next((t.value for t in runtime.jurisdiction.targets if t.code == views.TARGET_CODE), 360)
    async with runtime.uow() as session:
        return await views.statistics(session, actor, target)


@router.get("/exports/admitted", summary="导出入库产品清单 / Export the admitted list", response_class=Response,
            responses=EXPORT_RESPONSES, description="XLSX (or CSV) of the admitted products with their version in force and prices.")
async def export_admitted(format: Literal["xlsx", "csv"] = Query("xlsx", description="文件格式"),
                          actor: Actor = Depends(require_roles(*OFFICIAL_VIEWERS)),
                          runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        rows = await views.admitted_rows(session, actor)
    return export_response(_joined(rows), ADMITTED_COLUMNS, fmt=format, filename="小快轻准产品供给清单", sheet="供给清单")


@router.get("/exports/review-results", summary="导出审核结果 / Export review results", response_class=Response,
            responses=EXPORT_RESPONSES, description="XLSX (or CSV) of every decided version: result, score and reasons.")
async def export_results(format: Literal["xlsx", "csv"] = Query("xlsx", description="文件格式"),
                         actor: Actor = Depends(require_roles(*OFFICIAL_VIEWERS)),
                         runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        rows = await views.review_results(session, actor)
    return export_response(_joined(rows), RESULT_COLUMNS, fmt=format, filename="产品入库审核结果", sheet="审核结果")
