"""Routes for results and their due process (notice, re-check, appeal, decision, verdict)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import results as use
from ..domain.access import APPELLANTS, RESULT_READERS, RUNNERS
from .schemas import Grade, ResultOut

router = APIRouter(prefix="/results", tags=["evaluation results 评价结果"])
State = Literal["computed", "rectifying", "proposed", "appealed", "decided", "issued"]


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=2, max_length=4000, description="申诉理由")


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upheld: bool = Field(description="申诉是否成立")
    grade: Grade | None = Field(None, description="申诉成立时改变后的等级")
    reason: Text = Field(min_length=2, max_length=4000, description="处理意见")


@router.get("", response_model=Page[ResultOut], summary="评价结果列表 / List results",
            description="A provider sees its own results; the third party, city officers and auditors every one.")
async def index(cycle_id: Uuid | None = Query(None, description="评价周期"), state: State | None = Query(None, description="状态"),
                page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*RESULT_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> Page[ResultOut]:
    async with runtime.uow() as session:
        items, total = await use.list_results(session, actor, cycle_id=cycle_id, state=state, limit=page.limit,
                                              offset=page.offset)
    return Page(items=[ResultOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{result_id}", response_model=ResultOut, summary="查看评价结果及计算过程 / Get a result with its trace",
            description="The grade with its trace: each indicator's value, points and the facts (event ids) behind it.")
async def read(result_id: Uuid, actor: Actor = Depends(require_roles(*RESULT_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(ResultOut, await use.get_result(session, actor, result_id))


async def _transition(request: Request, runtime: Runtime, actor: Actor, result_id: str, step: object, **kw: object) -> Response:
    async with runtime.uow() as session:
        result = await use.get_result(session, actor, result_id)
        check_if_match(request, result["version"])
        return versioned_json(ResultOut, await step(session, actor, result, **kw))  # type: ignore[operator]


@router.post("/{result_id}/notify", response_model=ResultOut, summary="下达整改通知 / Give a failing provider notice",
             description="City officers give notice of a failing result; the rectification window (working days, "
                         "model parameter) starts. Publishes `result.noticed` and `result.rectification_due`. If-Match.")
async def notify(result_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _transition(request, runtime, actor, result_id, use.notify)


@router.post("/{result_id}/recheck", response_model=ResultOut, summary="复核并拟定结论 / Re-check and propose a verdict",
             description="After the rectification window, a city officer recomputes the result and proposes the "
                         "verdict; the appeal window starts. Publishes `result.verdict_proposed`. If-Match.")
async def recheck(result_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _transition(request, runtime, actor, result_id, use.recheck)


@router.post("/{result_id}/appeal", response_model=ResultOut, summary="申诉 / Appeal a proposed verdict",
             description="The provider appeals once, within the model's window. Publishes `result.appeal_filed`. If-Match.")
async def appeal(result_id: Uuid, body: AppealIn, request: Request, actor: Actor = Depends(require_roles(*APPELLANTS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _transition(request, runtime, actor, result_id, use.appeal, reason=body.reason)


@router.post("/{result_id}/decide", response_model=ResultOut, summary="处理申诉 / Decide an appeal",
             description="A city officer other than the proposer decides the appeal. Publishes `result.appeal_decided`. "
                         "If-Match.")
async def decide(result_id: Uuid, body: DecideIn, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _transition(request, runtime, actor, result_id, use.decide, upheld=body.upheld, grade=body.grade,
                             reason=body.reason)


@router.post("/{result_id}/issue", response_model=ResultOut, summary="发布评价结论 / Issue the verdict",
             description="City officers issue a passing result at once, a failing one after due process. Publishes "
                         "`verdict.issued` (the registry revokes a failing provider's title). If-Match.")
async def issue(result_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _transition(request, runtime, actor, result_id, use.issue)
