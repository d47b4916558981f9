"""Routes for applications (申报): the applicant drafts, edits, submits and withdraws; officials run the formal check.

Every step takes If-Match with the application's ETag; a step its state does not allow answers 409 naming the
allowed ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor, current_actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import JsonObject, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.call_application_actions import (
    pass_formal_check,
    return_for_revision,
    start_formal_check,
    submit_application,
    withdraw_application,
)
from ..application.call_applications import (
    application_view,
    create_application,
    edit_application,
    ensure_applicant,
    ensure_may_see,
    ensure_official_for,
    find_application,
    list_applications,
)
from ..application.calls import find_call, visible_call
from ..domain.access import APPLICANT_ROLES, OFFICIALS
from .selection_deps import answer, business_day, page

router = APIRouter(tags=["applications 申报"])
Field_ = Annotated[Text, Field(min_length=1, max_length=50)]
State = Literal["draft", "submitted", "formal_check", "returned", "expert_review", "publicity", "selected", "rejected", "withdrawn"]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Text = Field(min_length=2, max_length=300, description="申报名称, e.g. 平台名称")
    summary: Text = Field(default="", max_length=20_000, description="申报简介")
    fields: list[Field_] = Field(default_factory=list, max_length=20, description="所属专业领域（用于匹配评审专家）")
    content: JsonObject = Field(default_factory=dict, description="申报书内容（按征集要求填写的字段）")


class ApplicationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Text | None = Field(default=None, min_length=2, max_length=300)
    summary: Text | None = Field(default=None, max_length=20_000)
    fields: list[Field_] | None = Field(default=None, max_length=20)
    content: JsonObject | None = None

    @field_validator("title", "summary", "fields", "content")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        # Only the fields sent change, and none of these may be emptied to null: leave one out to keep it.
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Annotated[Text, Field(max_length=1000)]] = Field(max_length=50, description="退回补正理由（至少一条）")


class ApplicationOut(BaseModel):
    id: str
    call_id: str
    organisation_id: str
    organisation_name: str
    uscc: str
    district: DistrictCode | None
    title: str
    summary: str
    fields: list[str]
    content: dict[str, Any]
    state: str
    state_zh: str
    allowed_actions: list[str] = Field(description="the next steps of the state machine that this caller may take")
    return_reasons: list[str] | None
    submitted_at: datetime | None
    final_score: Decimal | None
    score_spread: Decimal | None
    needs_chair_review: bool
    chair_confirmed_at: datetime | None
    rank: int | None
    publicity_id: str | None
    decided_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


@router.post("/calls/{call_id}/applications", status_code=201, response_model=ApplicationOut, summary="创建申报草稿 / Start an application",
             description="An enterprise or provider account starts a draft for its organisation; one live application per organisation "
                         "and call (409 otherwise). On a dated call, the organisation's accounts are reminded three days before it closes "
                         "while the application is not submitted. Accepts `Idempotency-Key`.")
async def create(
    call_id: Uuid, body: ApplicationIn, request: Request, actor: Actor = Depends(require_roles(*APPLICANT_ROLES)),
    on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            call = await visible_call(session, actor, call_id)
            row = await create_application(session, actor, call, body.model_dump(), on=on, jurisdiction=runtime.jurisdiction)
        view = ApplicationOut.model_validate(application_view(row, actor)).model_dump(mode="json")
        return view, {"Location": f"/api/registry/v1/applications/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"application:{actor.id}", make)


@router.get("/applications", response_model=Page[ApplicationOut], summary="申报列表 / List applications",
            description="Applicants see their organisation's; experts those assigned to them; district officers their district's; "
                        "city officers and auditors all. Filters: call_id, state.")
async def index(
    call_id: Uuid | None = None, state: State | None = None, params: PageParams = Depends(page_params),
    actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        rows, total = await list_applications(session, actor, limit=params.limit, offset=params.offset, call_id=call_id, state=state)
    return page(ApplicationOut, [application_view(r, actor) for r in rows], total, params.limit, params.offset)


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="查看申报 / Get an application",
            description="For the applicant, its panel's experts, and officials with the applicant in scope.")
async def read(application_id: Uuid, actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await find_application(session, application_id)
        await ensure_may_see(session, actor, row)
    return answer(ApplicationOut, application_view(row, actor))


Step = Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _step(request: Request, runtime: Runtime, actor: Actor, application_id: str, step: Step,
                may_act: Callable[[Actor, dict[str, Any]], None]) -> Response:
    """Load, ask the policy (who may see it, then who may take this step), only then compare If-Match and act."""
    async with runtime.uow() as session:
        row = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, row)
        may_act(actor, row)
        check_if_match(request, row["version"])
        row = await step(session, row)
    return answer(ApplicationOut, application_view(row, actor))


@router.patch("/applications/{application_id}", response_model=ApplicationOut, summary="修改申报 / Edit an application",
              description="The applicant edits a draft or a returned application (send If-Match).")
async def edit(application_id: Uuid, body: ApplicationPatch, request: Request, actor: Actor = Depends(current_actor),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    patch = body.model_dump(exclude_unset=True)
    return await _step(request, runtime, actor, application_id, lambda s, row: edit_application(s, actor, row, patch), ensure_applicant)


@router.post("/applications/{application_id}/submit", response_model=ApplicationOut, summary="提交申报 / Submit",
             description="The applicant submits a draft, or resubmits a returned application, while the call's intake window is open "
                         "(in the jurisdiction's time zone) and with every required material attached. Publishes `application.submitted`.")
async def submit(application_id: Uuid, request: Request, actor: Actor = Depends(current_actor), on: date = Depends(business_day),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def step(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
        call = await find_call(session, row["call_id"])
        return await submit_application(session, actor, row, call, on=on, jurisdiction=runtime.jurisdiction)

    return await _step(request, runtime, actor, application_id, step, ensure_applicant)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut, summary="撤回申报 / Withdraw",
             description="The applicant withdraws an application that is not decided yet.")
async def withdraw(application_id: Uuid, request: Request, actor: Actor = Depends(current_actor),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(request, runtime, actor, application_id, lambda s, row: withdraw_application(s, actor, row), ensure_applicant)


Official = Depends(require_roles(*OFFICIALS))


@router.post("/applications/{application_id}/formal-check/start", response_model=ApplicationOut,
             summary="开始形式审查 / Start the formal check",
             description="An official takes a submitted application into formal check (形式审查).")
async def formal_check_start(application_id: Uuid, request: Request, actor: Actor = Official,
                             runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(request, runtime, actor, application_id, lambda s, row: start_formal_check(s, actor, row), ensure_official_for)


@router.post("/applications/{application_id}/formal-check/pass", response_model=ApplicationOut,
             summary="形式审查通过 / Pass the formal check",
             description="An official passes the formal check: the application goes to expert review.")
async def formal_check_pass(application_id: Uuid, request: Request, actor: Actor = Official,
                            runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(request, runtime, actor, application_id, lambda s, row: pass_formal_check(s, actor, row), ensure_official_for)


@router.post("/applications/{application_id}/formal-check/return", response_model=ApplicationOut, summary="退回补正 / Return for revision",
             description="An official returns the application with reasons (at least one). Publishes `application.returned`.")
async def formal_check_return(application_id: Uuid, body: ReturnIn, request: Request, actor: Actor = Official,
                              on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(request, runtime, actor, application_id,
                       lambda s, row: return_for_revision(s, actor, row, body.reasons, on=on), ensure_official_for)
