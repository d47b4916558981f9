"""Routes for publicity (公示), objections (异议) and the final decision.

The publicity list is public (JSON, XLSX or CSV with Chinese headers); filing an objection needs only a sign-in;
publishing, resolving and finalising are for city officers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.audit import jsonable
from sihua_shared.auth import Actor, current_actor, require_roles
from sihua_shared.exports import EXPORT_RESPONSES, Column, export_response
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.calls import find_call
from ..application.objections import (
    ensure_may_see_objection,
    file_objection,
    find_objection,
    list_objections,
    objection_view,
    resolve_objection,
)
from ..application.publicity import finalise_publicity, latest_publicity, publicity_list, publish_result
from ..domain.access import CITY_ONLY
from .selection_deps import answer, business_day

router = APIRouter(tags=["publicity 公示"])
Officer = Depends(require_roles(*CITY_ONLY))
EXPORT_COLUMNS = [
    Column("rank", "排名", 8), Column("organisation_name", "单位名称", 36), Column("uscc", "统一社会信用代码", 22),
    Column("final_score", "综合得分", 10), Column("status_zh", "状态", 12),
]


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working_days: int | None = Field(default=None, ge=1, le=60, description="公示期（工作日）；空则用征集或本市设置")


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    application_id: Uuid = Field(description="异议针对的申报")
    reasons: Text = Field(min_length=5, max_length=5000, description="异议理由")


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    upheld: bool = Field(description="异议是否成立（成立则该申报不予入选）")
    resolution: Text = Field(min_length=2, max_length=5000, description="处理意见")


class ObjectionOut(BaseModel):
    id: str
    publicity_id: str
    application_id: str
    call_id: str
    organisation_id: str
    reasons: str
    state: str = Field(description="open 待处理 / upheld 成立 / dismissed 不成立")
    resolution: str | None
    resolved_at: datetime | None
    filed_by: str | None = Field(default=None, description="officials only")
    version: int
    created_at: datetime


def _publicity_body(call: dict[str, Any], publicity: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return jsonable({"call_id": call["id"], "call_title": call["title"], "kind": call["kind"], "publicity_id": publicity["id"],
                     "state": publicity["state"], "starts_on": publicity["starts_on"], "ends_on": publicity["ends_on"],
                     "working_days": publicity["working_days"], "decided_on": publicity["decided_on"], "version": publicity["version"],
                     "items": [{c.key: i[c.key] for c in EXPORT_COLUMNS} | {"application_id": i["application_id"], "status": i["status"]}
                               for i in items]})


@router.post("/calls/{call_id}/publicity", status_code=201, summary="发布公示 / Publish the ranked result",
             description="A city officer ranks the applications whose review is complete by the call's cut rule: those above the cut go "
                         "into publicity for the configured number of working days (holiday calendar); the others are decided as not "
                         "selected. Applications tied across the quota line are ranked by the recorded tie-break "
                         "(`POST /calls/{call_id}/tie-breaks`); without one, 409 `tie_at_cut` names them and nothing changes. A "
                         "year-round call is publicised round by round: the result covers the batch of the review round closed "
                         "(`POST /calls/{call_id}/review-rounds`; 409 `review_round_not_reviewed` until all of it is reviewed), or, "
                         "with none closed, the applications ready now, as a round of their own. The "
                         "applicants listed and the city officers are reminded one working day before the period ends. "
                         "Accepts `Idempotency-Key`.")
async def publish(call_id: Uuid, body: PublishIn, request: Request, actor: Actor = Officer, on: date = Depends(business_day),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[Any, dict[str, str]]:
        async with runtime.uow() as session:
            call = await find_call(session, call_id, lock=True)
            result = await publish_result(session, actor, call, on=on, jurisdiction=runtime.jurisdiction, working_days=body.working_days)
        return jsonable(result), {"ETag": etag_for(result["version"])}

    return await runtime.idempotency.run(request, f"publicity:{actor.id}", make)


@router.get("/publicity/{call_id}", summary="公示名单 / The publicity list (public)",
            description="Public, without signing in: the call's latest published result (拟入选名单) with its period and each entry's "
                        "status, as JSON, XLSX or CSV (UTF-8 with BOM, Chinese headers).", responses=EXPORT_RESPONSES)
async def read(call_id: Uuid, format: Literal["json", "xlsx", "csv"] = Query("json", description="json / xlsx / csv"),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        call = await find_call(session, call_id)
        publicity = await latest_publicity(session, call_id)
        items = await publicity_list(session, publicity)
    if format != "json":
        return export_response(items, EXPORT_COLUMNS, fmt=format, filename=f"{call['title']}公示名单", sheet="公示名单")
    return JSONResponse(_publicity_body(call, publicity, items), headers={"ETag": etag_for(publicity["version"])})


@router.post("/publicity/{call_id}/objections", status_code=201, response_model=ObjectionOut, summary="提出异议 / File an objection",
             description="Any signed-in user objects, with reasons, to an application on the publicity list while publicity runs. "
                         "Publishes `objection.filed`. Accepts `Idempotency-Key`.")
async def file(call_id: Uuid, body: ObjectionIn, request: Request, actor: Actor = Depends(current_actor), on: date = Depends(business_day),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[Any, dict[str, str]]:
        async with runtime.uow() as session:
            row = await file_objection(session, actor, call_id, application_id=body.application_id, reasons=body.reasons, on=on)
        return ObjectionOut.model_validate(objection_view(row, actor)).model_dump(mode="json"), {"ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"objection:{actor.id}", make)


@router.get("/publicity/{call_id}/objections", response_model=Page[ObjectionOut], summary="异议列表 / Objections",
            description="City officers and auditors see every objection to the call's results; anyone else their own.")
async def objections(call_id: Uuid, state: Literal["open", "upheld", "dismissed"] | None = None, params: PageParams = Depends(page_params),
                     actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        await find_call(session, call_id)  # a call that does not exist is a 404, not an empty list
        rows, total = await list_objections(session, actor, call_id, limit=params.limit, offset=params.offset, state=state)
    items = [ObjectionOut.model_validate(objection_view(r, actor)).model_dump(mode="json") for r in rows]
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}


@router.get("/objections/{objection_id}", response_model=ObjectionOut, summary="查看异议 / Get an objection",
            description="City officers, auditors, and whoever filed it.")
async def objection(objection_id: Uuid, actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await find_objection(session, objection_id)
    ensure_may_see_objection(actor, row)
    return answer(ObjectionOut, objection_view(row, actor))


@router.post("/objections/{objection_id}/resolve", response_model=ObjectionOut, summary="处理异议 / Resolve an objection",
             description="A city officer resolves an objection (send If-Match): upheld rejects the application concerned. "
                         "Publishes `objection.resolved` (and `application.decided` when upheld).")
async def resolve(objection_id: Uuid, body: ResolveIn, request: Request, actor: Actor = Officer, on: date = Depends(business_day),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        before = await find_objection(session, objection_id, lock=True)
        check_if_match(request, before["version"])
        row = await resolve_objection(session, actor, before, upheld=body.upheld, resolution=body.resolution, on=on)
    return answer(ObjectionOut, objection_view(row, actor))


@router.post("/publicity/{call_id}/finalise", summary="确定遴选结果 / Finalise the decision",
             description="A city officer finalises after the last day of publicity with no objection open (send If-Match with the "
                         "publicity's ETag): every application still in publicity is selected and granted the jurisdiction's title of "
                         "the call's kind, valid from today; the reminders of the period's end are cancelled. Publishes "
                         "`application.decided` and `title.granted`.")
async def finalise(call_id: Uuid, request: Request, actor: Actor = Officer, on: date = Depends(business_day),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        call = await find_call(session, call_id)
        publicity = await latest_publicity(session, call_id, lock=True)
        check_if_match(request, publicity["version"])
        result = await finalise_publicity(session, actor, call, publicity, on=on, jurisdiction=runtime.jurisdiction)
    return JSONResponse(jsonable(result), headers={"ETag": etag_for(result["publicity"]["version"])})
