"""Routes for expert review (遴选): the expert pool's fields, panel assignment, recusal, scoring, the chair's
confirmation and each expert's backlog."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.audit import jsonable
from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import check_if_match
from sihua_shared.inputs import BigNumber, BusinessDate, Code, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.assignments import active_members, assign_application, assign_call, recuse
from ..application.call_applications import application_view, ensure_may_see, find_application
from ..application.calls import find_call
from ..application.expert_pool import expert_rows, expert_view, set_expert_profile, withdraw_expert
from ..application.scoring import confirm_as_chair, expert_backlog, panel_view, submit_scores
from ..domain import access as policy
from ..domain.access import CITY_ONLY, EXPERTS, PANEL_READERS, SEE_ALL
from .call_applications import ApplicationOut
from .selection_deps import answer, business_day

router = APIRouter(tags=["review 遴选"])
Officer = Depends(require_roles(*CITY_ONLY))
ExpertOnly = Depends(require_roles(*EXPERTS))


Points = Annotated[Decimal, Field(ge=-1_000_000, le=1_000_000)]  # the rubric checks 0..max_points


class ExpertProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[Annotated[Text, Field(min_length=1, max_length=50)]] = Field(max_length=30, description="专业领域")
    can_chair: bool = Field(default=True, description="可担任评审组组长")
    district: DistrictCode | None = Field(default=None, description="所属区（专家绑定某区时填写）")
    declared_conflicts: list[Uuid] = Field(
        default_factory=list, max_length=100,
        description="专家申明需回避的单位 (organisation ids), besides those related by declared relationships",
    )


class ExpertOut(BaseModel):
    account_id: str
    display_name: str
    organisation_id: str | None
    active: bool
    fields: list[str]
    can_chair: bool
    district: str | None = Field(default=None, description="所属区")
    declared_conflicts: list[str] = Field(default_factory=list, description="申明回避的单位")
    version: int


class WithdrawExpertIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=1000, description="出库原因")


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: BigNumber | None = Field(default=None, description="随机种子（不填则系统抽取并记录）; a string of digits")
    due_on: BusinessDate | None = Field(default=None, description="评审截止日期（不填则按征集的评审期限）")


class ScoresIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[Code, Points] = Field(max_length=30, description="每项指标的评分 (criterion code → points)")
    comments: dict[Code, Annotated[Text, Field(max_length=5000)]] = Field(max_length=30, description="每项指标的评审意见")


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: Text = Field(min_length=2, max_length=2000, description="理由或意见")


class BacklogItem(BaseModel):
    application_id: str
    call_id: str
    call_title: str
    application_title: str
    chair: bool
    due_on: date
    status: str = Field(description="assigned 待评 / scored 已评 / overdue 逾期")
    scored_at: datetime | None
    total: Decimal | None


class Backlog(BaseModel):
    items: list[BacklogItem]
    counts: dict[str, int]
    as_of: date


@router.get("/experts", response_model=list[ExpertOut], summary="专家库 / The expert pool",
            description="City officers and auditors: every account with the role expert, with fields of expertise.")
async def experts(_: Actor = Depends(require_roles(*SEE_ALL)), runtime: Runtime = Depends(get_runtime)) -> list[Any]:
    async with runtime.uow() as session:
        rows = await expert_rows(session, active_only=False)
    return [ExpertOut.model_validate(expert_view(r)).model_dump(mode="json") for r in rows]


@router.put("/experts/{account_id}/profile", response_model=ExpertOut, summary="设置专家信息 / Set an expert's pool profile",
            description="A city officer sets an expert's fields of expertise (专业领域), whether they may chair a panel, the "
                        "district they are bound to (所属区) and the organisations they declare a conflict with (申明回避). "
                        "Publishes `expert.profile_set` with the profile's version.")
async def set_profile(account_id: Uuid, body: ExpertProfileIn, actor: Actor = Officer, runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await set_expert_profile(session, actor, account_id, fields=body.fields, can_chair=body.can_chair,
                                       district=body.district, declared_conflicts=body.declared_conflicts,
                                       jurisdiction=runtime.jurisdiction)
    return answer(ExpertOut, expert_view(row))


@router.post("/experts/{account_id}/withdraw", response_model=ExpertOut, summary="专家出库 / Take an expert out of the pool",
             description="A city officer withdraws the role expert from the account, with the reason (audited): no panel "
                         "draws them any more and their next tokens no longer carry the role. Publishes `expert.left_pool`. "
                         "409 for an account that is no expert.")
async def withdraw(account_id: Uuid, body: WithdrawExpertIn, actor: Actor = Officer, runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await withdraw_expert(session, actor, account_id, body.reason)
    return answer(ExpertOut, expert_view(row))


@router.get("/experts/me/assignments", response_model=Backlog, summary="我的评审任务 / My review backlog",
            description="An expert's assigned, scored and overdue reviews (overdue: not scored by the due date).")
async def backlog(actor: Actor = ExpertOnly, on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime)) -> Any:
    async with runtime.uow() as session:
        result = await expert_backlog(session, actor, on=on)
    return Backlog.model_validate(result).model_dump(mode="json")


@router.post("/calls/{call_id}/assignments", response_model=list[ApplicationOut], summary="分配评审专家 / Assign panels",
             description="A city officer draws a panel for every application of the call in expert review without one: random but "
                         "reproducible (the call's recorded seed), excluding the applicant's own and related organisations' experts, "
                         "one chair. Publishes `application.expert_assigned` per expert, with the due date.")
async def assign_all(call_id: Uuid, body: AssignIn, actor: Actor = Officer, on: date = Depends(business_day),
                     runtime: Runtime = Depends(get_runtime)) -> list[Any]:
    async with runtime.uow() as session:
        call = await find_call(session, call_id, lock=True)
        rows = await assign_call(session, actor, call, on=on, due_on=body.due_on, seed=body.seed)
    return [ApplicationOut.model_validate(application_view(r, actor)).model_dump(mode="json") for r in rows]


@router.post("/applications/{application_id}/assignment", response_model=ApplicationOut, summary="为单个申报分配专家 / Assign one panel",
             description="As for a whole call, for one application (send If-Match).")
async def assign_one(application_id: Uuid, body: AssignIn, request: Request, actor: Actor = Officer, on: date = Depends(business_day),
                     runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        # Lock the call before the application, as assigning a whole call does, so the two never deadlock.
        unlocked = await find_application(session, application_id)
        call = await find_call(session, unlocked["call_id"], lock=True)
        application = await find_application(session, application_id, lock=True)
        check_if_match(request, application["version"])
        row = await assign_application(session, actor, call, application, on=on, due_on=body.due_on, seed=body.seed)
    return answer(ApplicationOut, application_view(row, actor))


@router.get("/applications/{application_id}/panel", summary="评审组 / The panel",
            description="Officials and the chair see every member's scores and comments (officials also the recorded draw and the "
                        "exclusions); another member sees their own line only.")
async def panel(application_id: Uuid, actor: Actor = Depends(require_roles(*PANEL_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> Any:
    official = policy.sees_whole_panel(actor)
    async with runtime.uow() as session:
        application = await find_application(session, application_id)
        await ensure_may_see(session, actor, application)
        members = await active_members(session, application_id, with_declined=official)
    return jsonable(panel_view(application, members, actor, official=official))


@router.post("/applications/{application_id}/recuse", response_model=ApplicationOut, summary="申请回避 / Declare a conflict and recuse",
             description="An assigned expert declares a conflict of interest with a reason and leaves the panel; the next eligible expert "
                         "of the same draw replaces them (and is notified).")
async def recuse_route(application_id: Uuid, body: TextIn, request: Request, actor: Actor = ExpertOnly, on: date = Depends(business_day),
                       runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        application = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, application)
        check_if_match(request, application["version"], required=False)
        call = await find_call(session, application["call_id"])
        row = await recuse(session, actor, call, application, reason=body.text, on=on)
    return answer(ApplicationOut, application_view(row, actor))


@router.put("/applications/{application_id}/scores", response_model=ApplicationOut, summary="提交评分 / Score an application",
            description="An assigned expert scores every criterion of the call's rubric (0 to its maximum, at most two decimals) with a "
                        "comment each; resubmitting revises. When the panel is complete the result is aggregated.")
async def score(application_id: Uuid, body: ScoresIn, actor: Actor = ExpertOnly, runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        application = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, application)
        call = await find_call(session, application["call_id"])
        row = await submit_scores(session, actor, call, application, scores=body.scores, comments=body.comments)
    return answer(ApplicationOut, application_view(row, actor))


@router.post("/applications/{application_id}/chair-confirmation", response_model=ApplicationOut,
             summary="组长确认评分 / The chair confirms a flagged result",
             description="When the experts' totals differ by more than the call's spread limit, the panel's chair confirms the result "
                         "(with a comment) before it can be ranked.")
async def chair_confirm(application_id: Uuid, body: TextIn, actor: Actor = ExpertOnly, runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        application = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, application)
        row = await confirm_as_chair(session, actor, application, comment=body.text)
    return answer(ApplicationOut, application_view(row, actor))
