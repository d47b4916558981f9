"""Routes for the tie-breaks (同分排序) that settle a tie at the quota line before the result is published."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, etag_for, page_params
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.calls import find_call
from ..application.tie_breaks import list_tie_breaks, record_tie_break, tie_break_view
from ..domain.access import SEE_ALL, TIE_BREAKERS
from .selection_deps import page

router = APIRouter(tags=["publicity 公示"])


class TieBreakIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order: list[Uuid] = Field(min_length=1, max_length=200,
                                       description="同分申报的排序（由前到后）：须恰好包含入选名额线上的全部同分申报")
    method: Literal["criterion_means", "panel_vote", "other"] = Field(
        description="排序依据: criterion_means 按分项平均分 / panel_vote 评审组投票 / other 其他")
    reason: Text = Field(min_length=5, max_length=5000, description="排序理由（如分项平均分的比较、评审组投票结果）")


class TieBreakOut(BaseModel):
    id: str
    call_id: str
    order: list[str] = Field(description="记录的排序（由前到后）")
    method: str
    method_zh: str
    reason: str
    state: str = Field(description="recorded 已记录 / applied 已用于公示 / superseded 已被新的决定取代")
    recorded_by: str
    recorded_as: str = Field(description="chair 评审组组长 / city_officer 市级主管部门")
    publicity_id: str | None
    version: int
    created_at: datetime


@router.post("/calls/{call_id}/tie-breaks", status_code=201, response_model=TieBreakOut,
             summary="记录同分排序 / Settle a tie at the quota line",
             description="When applications tie across the quota line (publishing answers 409 `tie_at_cut`), the chair of every tied "
                         "application's panel or a city officer records the decision: the order of exactly the tied applications "
                         "(422 otherwise, naming each wrong entry) with the method and a written reason. Publishing then ranks the "
                         "tied applications in that order, and only them. 409 `no_tie_at_cut` when nothing ties at the line, "
                         "409 `tie_break_recorded` when this tie is already settled. Audited. Accepts `Idempotency-Key`.")
async def record(call_id: Uuid, body: TieBreakIn, request: Request, actor: Actor = Depends(require_roles(*TIE_BREAKERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            call = await find_call(session, call_id, lock=True)  # publishing takes the same lock
            row = await record_tie_break(session, actor, call, order=body.order, method=body.method, reason=body.reason)
        return TieBreakOut.model_validate(tie_break_view(row)).model_dump(mode="json"), {"ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"tie_break:{actor.id}", make)


@router.get("/calls/{call_id}/tie-breaks", response_model=Page[TieBreakOut], summary="同分排序记录 / Recorded tie-breaks",
            description="City officers and auditors: every tie-break recorded for the call, oldest first.")
async def index(call_id: Uuid, params: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*SEE_ALL)),
                runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        await find_call(session, call_id)
        rows, total = await list_tie_breaks(session, call_id, limit=params.limit, offset=params.offset)
    return page(TieBreakOut, [tie_break_view(r) for r in rows], total, params.limit, params.offset)
