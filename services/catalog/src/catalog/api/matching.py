"""Routes of 精准匹配 (matching): an enterprise's current recommendations."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from sihua_shared.auth import Actor, require_roles
from sihua_shared.inputs import Key
from sihua_shared.runtime import Runtime, get_runtime

from ..application import matching as uc
from ..domain.access import RECOMMENDATION_READERS

router = APIRouter(tags=["matching 精准匹配"])


class RecommendationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rank: int
    product_id: str
    product_version: int
    catalogue_number: str
    name: str
    scenes: list[str]
    constrained_scenes: list[str]
    systems: list[str]
    sector_adopters: int
    min_price_fen: int | None
    explanation: str


class RecommendationSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    assessment_id: str
    enterprise_id: str
    edition_id: str
    stage: str
    level: int
    weakest_scenes: list[str]
    rules: str
    assessed_at: datetime
    issued_at: datetime
    items: list[RecommendationOut]


@router.get("/enterprises/{enterprise_id}/recommendations", response_model=RecommendationSetOut,
            summary="企业的产品推荐 / An enterprise's recommendations",
            description="The current recommendations from the enterprise's latest assessment that counts, ranked, each "
            "with its Chinese explanation (推荐理由). The enterprise itself, the providers it consented to, officials.")
async def current(enterprise_id: Key, actor: Actor = Depends(require_roles(*RECOMMENDATION_READERS)),
                  runtime: Runtime = Depends(get_runtime)) -> RecommendationSetOut:
    async with runtime.uow() as session:
        return RecommendationSetOut.model_validate(await uc.current_recommendations(session, actor, enterprise_id))
