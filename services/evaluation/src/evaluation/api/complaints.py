"""Routes for complaints (投诉): enterprises about the providers that served them, decided by a city officer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import complaints as use
from ..domain.access import COMPLAINANTS, COMPLAINT_COUNT_READERS, COMPLAINT_DECIDERS, COMPLAINT_READERS
from ..domain.complaints import Outcome, State
from .schemas import ComplaintCounts, ComplaintOut

router = APIRouter(tags=["complaints 投诉"])


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: Key = Field(description="被投诉的服务商（须曾为本企业提供服务）")
    subject: Text = Field(min_length=2, max_length=200, description="投诉事由")
    text: Text = Field(min_length=2, max_length=4000, description="投诉内容")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome = Field(description="upheld（有效投诉）或 dismissed（不予认定）")
    reason: Text = Field(min_length=2, max_length=4000, description="认定理由")


@router.post("/complaints", status_code=201, response_model=ComplaintOut, summary="投诉服务商 / File a complaint",
             description="An enterprise complains about a provider that served it (a completed diagnosis project or an "
                         "accepted transformation project); one it never served answers 409. Idempotency-Key.")
async def file(body: ComplaintIn, request: Request, actor: Actor = Depends(require_roles(*COMPLAINANTS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await use.file(session, actor, provider_id=body.provider_id, subject=body.subject, text=body.text)
        return ComplaintOut.model_validate(row).model_dump(mode="json"), {"ETag": f'"{row["version"]}"'}

    return await runtime.idempotency.run(request, f"complaint:{actor.id}", create)


@router.get("/complaints", response_model=Page[ComplaintOut], summary="投诉列表 / Complaints",
            description="An enterprise its own; city officers and auditors every one; a district officer those of its "
                        "district's enterprises. Providers see counts only (/providers/{id}/complaints).")
async def index(state: State | None = Query(None, description="状态"),
                provider_id: Key | None = Query(None, description="被投诉的服务商"),
                page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*COMPLAINT_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> Page[ComplaintOut]:
    async with runtime.uow() as session:
        items, total = await use.list_complaints(session, actor, state=state, provider_id=provider_id,
                                                 limit=page.limit, offset=page.offset)
    return Page(items=[ComplaintOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, summary="查看投诉 / Get a complaint",
            description="Whoever lists it sees it (ETag: its version).")
async def read(complaint_id: Uuid, actor: Actor = Depends(require_roles(*COMPLAINT_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(ComplaintOut, await use.get_complaint(session, actor, complaint_id))


@router.post("/complaints/{complaint_id}/decision", response_model=ComplaintOut,
             summary="认定投诉 / Decide a complaint",
             description="A city officer upholds or dismisses a filed complaint, once, with a reason. Publishes "
                         "`evaluation.complaint.decided` (no enterprise); upheld ones count in the `complaints` "
                         "indicator. If-Match.")
async def decide(complaint_id: Uuid, body: DecisionIn, request: Request,
                 actor: Actor = Depends(require_roles(*COMPLAINT_DECIDERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        complaint = await use.get_complaint(session, actor, complaint_id)
        check_if_match(request, complaint["version"])
        return versioned_json(ComplaintOut, await use.decide(session, actor, complaint, outcome=body.outcome,
                                                             reason=body.reason))


@router.get("/providers/{provider_id}/complaints", response_model=ComplaintCounts,
            summary="投诉统计 / Complaint counts about a provider",
            description="Counts by state and year only, never who complained or what they wrote; a provider sees its own.")
async def counts(provider_id: Key, actor: Actor = Depends(require_roles(*COMPLAINT_COUNT_READERS)),
                 runtime: Runtime = Depends(get_runtime)) -> ComplaintCounts:
    async with runtime.uow() as session:
        return ComplaintCounts.model_validate(await use.counts(session, actor, provider_id))
