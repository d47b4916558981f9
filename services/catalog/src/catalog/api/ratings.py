"""Routes of ratings (评价): adopters rate product versions; a city officer hides a comment with a reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import ratings as uc
from ..domain.access import MODERATORS, RATERS, RATING_READERS

router = APIRouter(tags=["ratings 评价"])


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=100_000, description="采用的产品版本")
    score: int = Field(ge=1, le=5, description="评分 1–5")
    comment: Text = Field(min_length=1, max_length=2000, description="评价内容")


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000, description="隐藏理由")


class RatingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    product_id: str
    product_version: int
    enterprise_id: str
    score: int
    comment: str | None
    rated_on: date
    hidden: bool
    hidden_reason: str | None
    hidden_on: date | None
    version: int


class RatingPage(BaseModel):
    items: list[RatingOut]
    total: int
    limit: int
    offset: int
    mean_score: str | None = Field(description="平均分（两位小数）")


@router.post("/products/{product_id}/ratings", status_code=201, response_model=RatingOut,
             summary="评价产品 / Rate a product", description="An enterprise that adopted the product version rates it "
             "once per version (1–5, a comment). Idempotency-Key.")
async def rate(product_id: Uuid, body: RatingIn, request: Request, actor: Actor = Depends(require_roles(*RATERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.rate(session, actor, product_id, body.version, body.score, body.comment)
        return RatingOut.model_validate(row).model_dump(mode="json"), {"ETag": f'"{row["version"]}"'}

    return await runtime.idempotency.run(request, f"rating:{actor.id}", make)


@router.get("/products/{product_id}/ratings", response_model=RatingPage, summary="产品评价 / A product's ratings",
            description="Every rating with the mean score; a hidden comment shows only its score (the city and auditors "
            "see it with the reason).")
async def index(product_id: Uuid, page: PageParams = Depends(page_params),
                actor: Actor = Depends(require_roles(*RATING_READERS)), runtime: Runtime = Depends(get_runtime)) -> RatingPage:
    async with runtime.uow() as session:
        return RatingPage.model_validate(await uc.list_ratings(session, actor, product_id, limit=page.limit, offset=page.offset))


@router.post("/ratings/{rating_id}/hide", response_model=RatingOut, summary="隐藏评价 / Hide a comment",
             description="A city officer hides a rating's comment with a reason (If-Match); the score still counts.")
async def hide(rating_id: Uuid, body: HideIn, request: Request, actor: Actor = Depends(require_roles(*MODERATORS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_rating(session, actor, rating_id, lock=True)
        check_if_match(request, row["version"])
        return versioned_json(RatingOut, await uc.hide(session, actor, rating_id, row, body.reason))
