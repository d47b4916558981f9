"""The public showcase (供给清单): search the admitted, listed products without signing in (handbook §6)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from sihua_shared.http import PageParams, page_params
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import showcase
from ..application.adaptations import verified_products

router = APIRouter(prefix="/showcase", tags=["showcase 供给清单展示（公开）"])


def _facet(label: str) -> Any:
    return Query(None, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", description=label)


@router.get("/products", summary="检索供给清单 / Search the supply list",
            description="Public. Chinese full-text over names, summaries, descriptions, providers and scene names "
            "(segmented, with synonyms such as 排产 ↔ 计划排程), facets (scene, business link, sector, type, deployment, "
            "price band, verified-with) and sorting (relevance, price, newest, rating, adoption, outcome). Each item carries its "
            "adoption: adopters, contracts, accepted and failed projects, acceptance rate. Admitted, listed products only.")
async def search(
    q: str | None = Query(None, max_length=100, description="检索词"),
    scene: str | None = _facet("场景编号"), business_link: str | None = _facet("业务环节"),
    sector: str | None = _facet("试点细分行业"), product_type: str | None = _facet("产品类型"),
    deployment: str | None = _facet("部署方式"), price_band: str | None = _facet("价格区间"),
    verified_with: str | None = Query(None, max_length=130, pattern=r"^(platform|product|interface):[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$",
                                      description="适配验证对象，如 platform:<组织 id>、interface:<代码>"),
    sort: Literal["relevance", "price_asc", "price_desc", "newest", "rating", "adoption", "outcome"] = Query(
        "relevance", description="排序：相关度、价格、最新、评分、采用企业数（adoption）、验收成效（outcome）"),
    page: PageParams = Depends(page_params), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    filters = {"scene": scene, "business_link": business_link, "sector": sector, "product_type": product_type,
               "deployment": deployment, "price_band": price_band, "verified_with": verified_with}
    async with runtime.uow() as session:
        found = await showcase.search(session, q=q, filters=filters, sort=sort, limit=page.limit, offset=page.offset)
    found["items"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()} for item in found["items"]]
    return found


@router.get("/products/{product_id}", summary="供给清单产品详情 / A listed product",
            description="Public. The version in force of an admitted, listed product, with its adoption and outcomes "
            "(adopters, contracts and their amount in fen, accepted / failed projects, acceptance rate, the levels its "
            "accepted adopters reached, per version).")
async def read(product_id: Uuid, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        found = await showcase.showcased(session, product_id)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in found.items()}


@router.get("/verified-with/{kind}/{ref}", summary="已适配验证的产品 / Products verified with a target",
            description="Public. Which listed products hold a valid adaptation record with the platform, product or interface.")
async def verified(kind: Literal["platform", "product", "interface"], ref: Key,
                   runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        items = await verified_products(session, kind, ref)
    return {"target": f"{kind}:{ref}", "items": items, "total": len(items)}
