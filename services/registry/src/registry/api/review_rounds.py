"""Routes for the review rounds (评审批次) of year-round calls: a city officer closes a round, officials list them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sihua_shared.audit import jsonable
from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import etag_for
from sihua_shared.inputs import Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.calls import find_call, visible_call
from ..application.review_rounds import close_round, list_rounds
from ..domain.access import CITY_ONLY, OFFICIALS
from .selection_deps import business_day

router = APIRouter(tags=["publicity 公示"])


class ReviewRoundOut(BaseModel):
    id: str
    call_id: str
    number: int = Field(description="批次序号")
    state: str = Field(description="closed 已截止待公示 / published 已公示 / lapsed 无申报可公示")
    closed_on: date
    application_ids: list[str] = Field(description="本批次的申报")
    publicity_id: str | None
    version: int
    created_at: datetime


@router.post(
    "/calls/{call_id}/review-rounds", status_code=201, response_model=ReviewRoundOut,
    summary="截止本批评审 / Close a review round of a year-round call",
    description="A city officer closes the next review round of a year-round call (no closing date, S0 二(一)): the "
                "applications submitted by now and in no round yet form its batch, which goes to review; the round's publicity "
                "(`POST /calls/{call_id}/publicity`) ranks and lists exactly that batch once all of it is reviewed. Intake "
                "stays open: later applications go to the next round. 409 when the previous round is not publicised yet, when "
                "nothing new was submitted, or for a dated call. Accepts `Idempotency-Key`.",
)
async def close(call_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*CITY_ONLY)),
                on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[Any, dict[str, str]]:
        async with runtime.uow() as session:
            call = await find_call(session, call_id, lock=True)
            row = await close_round(session, actor, call, on=on)
        return jsonable(ReviewRoundOut.model_validate(row).model_dump(mode="json")), {"ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"review-round:{actor.id}", make)


@router.get(
    "/calls/{call_id}/review-rounds", response_model=list[ReviewRoundOut],
    summary="评审批次列表 / The review rounds of a call",
    description="City and district officers: the rounds of a year-round call, each with its batch and its publicity.",
)
async def index(call_id: Uuid, actor: Actor = Depends(require_roles(*OFFICIALS)),
                runtime: Runtime = Depends(get_runtime)) -> list[ReviewRoundOut]:
    async with runtime.uow() as session:
        await visible_call(session, actor, call_id)
        rows = await list_rounds(session, call_id)
    return [ReviewRoundOut.model_validate(r) for r in rows]
