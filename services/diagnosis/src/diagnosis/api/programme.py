"""Routes for the programme views of officials (项目统计)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import PageParams, page_params
from sihua_shared.runtime import Runtime, get_runtime

from ..application.programme import level2_plus, level_counts
from ..domain.access import OFFICIALS

router = APIRouter(prefix="/programme", tags=["programme 项目统计"])


@router.get(
    "/levels",
    summary="数字化水平分布 / Enterprises by level, sector and district",
    description="Each enterprise once, at its latest official record (optionally of one stage). District officers see "
    "their district.",
)
async def levels(
    stage: Literal["baseline", "post_transformation"] | None = Query(None, description="评测阶段（默认不限）"),
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await level_counts(session, actor, stage=stage, jurisdiction=runtime.settings.jurisdiction)


@router.get(
    "/level2-plus",
    summary="改造后达到二级及以上的企业 / Enterprises at 二级 or above after transformation",
    description="Enterprises whose latest post-transformation official record is at 二级 or above, with progress "
    "against the jurisdiction's target (Guangzhou: 710, S2 二; counted over pilot enterprises).",
)
async def level2(
    pilot_only: bool = Query(False, description="只列试点企业"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await level2_plus(
            session, actor, pilot_only=pilot_only, limit=page.limit, offset=page.offset,
            target=runtime.jurisdiction.target("sme_level2_plus"),
        )
