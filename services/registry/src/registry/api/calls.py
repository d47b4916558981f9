"""Routes for calls (征集): city officers create, edit, open and close them; signed-in users read published calls;
the list of calls taking applications today is public."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, current_actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import BigNumber, BusinessDate, Code, Integer, Text, Uuid
from sihua_shared.jurisdiction import CategoryCode, SectorCode, TitleKindCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.calls import call_view, close_call, create_call, edit_call, find_call, list_calls, open_call, visible_call
from ..domain.access import CITY_ONLY
from .selection_deps import answer, business_day, page

router = APIRouter(tags=["calls 征集"])
CallKindIn = TitleKindCode
Matching = Literal["off", "prefer", "require"]
_KIND_DOC = ("征集类型：本市设立的称号类型之一 / a title kind of the jurisdiction: key_platform 四化赋能重点平台 (with category), "
             "traction_unit 牵引单位 (with sector), diagnosis_provider, third_party, and the recognitions (认定), e.g. "
             "digital_workshop 数字化车间 (Guangzhou), demonstration_factory 示范工厂 (Zhongshan)")


class MaterialIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code = Field(description="材料代码, e.g. business_licence")
    name_zh: Text = Field(min_length=1, max_length=200, description="材料名称, e.g. 营业执照")
    required: bool = Field(default=True, description="提交前必须上传")


class CriterionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    name_zh: Text = Field(min_length=1, max_length=100, description="指标, e.g. 技术能力")
    weight: Integer = Field(description="权重（百分比，合计100）")
    max_points: Decimal = Field(le=10_000, description="满分")


class RubricIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criteria: list[CriterionIn] = Field(max_length=30, description="评分指标")


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens_on: BusinessDate = Field(description="开始日期")
    closes_on: BusinessDate | None = Field(default=None, description="截止日期；空表示全年开放申报 (S0 二(一))")


class CutRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass_mark: Decimal | None = Field(default=None, description="合格分数线 (0–100)")
    quota: Integer | None = Field(default=None, description="入选名额")


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: CallKindIn = Field(description=_KIND_DOC)
    title: Text = Field(max_length=300, description="征集名称")
    description: Text = Field(default="", max_length=20_000, description="征集说明")
    category: CategoryCode | None = Field(default=None, description="平台类别 (key_platform), from the jurisdiction")
    sector: SectorCode | None = Field(default=None, description="试点行业 (traction_unit; optional for recognitions of pilot sectors)")
    window: WindowIn
    required_materials: list[MaterialIn] = Field(max_length=50, description="申报材料清单")
    rubric: RubricIn | None = Field(default=None, description="评分标准; key_platform defaults to 技术能力40/规模实力30/服务能力30, "
                                                             "other kinds give theirs")
    experts_per_application: Integer = Field(default=5, description="每份申报的评审专家人数")
    cut_rule: CutRuleIn
    spread_limit: Decimal = Field(default=Decimal(20), ge=0, le=100, decimal_places=2, description="专家评分分差阈值（超过则由组长确认）")
    review_days: int = Field(default=10, ge=1, le=90, description="评审期限（自然日）")
    field_matching: Matching = Field(default="prefer", description="专业领域匹配: off / prefer / require")
    publicity_working_days: int | None = Field(default=None, ge=1, le=60, description="公示期（工作日）；空则用本市设置")


class CallPatch(BaseModel):
    """Only the fields sent change; the whole call is checked again."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: CallKindIn | None = None
    title: Text | None = Field(default=None, max_length=300)
    description: Text | None = Field(default=None, max_length=20_000)
    category: CategoryCode | None = None
    sector: SectorCode | None = None
    window: WindowIn | None = None
    required_materials: list[MaterialIn] | None = Field(default=None, max_length=50)
    rubric: RubricIn | None = None
    experts_per_application: Integer | None = None
    cut_rule: CutRuleIn | None = None
    spread_limit: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    review_days: int | None = Field(default=None, ge=1, le=90)
    field_matching: Matching | None = None
    publicity_working_days: int | None = Field(default=None, ge=1, le=60)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(default="", max_length=500, description="截止原因")


class CallOut(BaseModel):
    id: str
    kind: CallKindIn
    category: CategoryCode | None
    sector: SectorCode | None
    title: str
    description: str
    state: str = Field(description="draft 草稿 / open 征集中 / closed 已截止")
    state_zh: str
    allowed_actions: list[str]
    window: WindowIn
    required_materials: list[MaterialIn]
    rubric: RubricIn
    experts_per_application: int
    cut_rule: CutRuleIn
    spread_limit: Decimal
    review_days: int
    field_matching: str
    publicity_working_days: int | None
    assignment_seed: BigNumber | None = Field(description="专家抽取随机种子（首次分配时记录）; a string")
    version: int
    created_at: datetime
    updated_at: datetime


OfficerOnly = Depends(require_roles(*CITY_ONLY))


@router.post("/calls", status_code=201, response_model=CallOut, summary="创建征集 / Create a call",
             description="A city officer drafts a call: kind (with the platform category or pilot sector), intake window, required "
                         "materials, rubric, panel size and cut rule, all checked against the jurisdiction. Accepts `Idempotency-Key`.")
async def create(body: CallIn, request: Request, actor: Actor = OfficerOnly, runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await create_call(session, actor, body.model_dump(), runtime.jurisdiction)
        view = CallOut.model_validate(call_view(row, actor)).model_dump(mode="json")
        return view, {"Location": f"{request.url.path}/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"call:{actor.id}", make)


@router.get("/calls/open", response_model=Page[CallOut], summary="正在征集 / Calls taking applications (public)",
            description="Public: every call open for applications today (in the jurisdiction's time zone).")
async def open_calls(
    params: PageParams = Depends(page_params), on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime)
) -> dict[str, Any]:
    async with runtime.uow() as session:
        rows, total = await list_calls(session, None, limit=params.limit, offset=params.offset, open_on=on)
    return page(CallOut, [call_view(r, None) for r in rows], total, params.limit, params.offset)


@router.get("/calls", response_model=Page[CallOut], summary="征集列表 / List calls",
            description="Any signed-in user sees published calls; city officers and auditors drafts too. Filters: state, kind.")
async def index(
    state: Literal["draft", "open", "closed"] | None = None, kind: CallKindIn | None = None,
    params: PageParams = Depends(page_params), actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        rows, total = await list_calls(session, actor, limit=params.limit, offset=params.offset, state=state, kind=kind)
    return page(CallOut, [call_view(r, actor) for r in rows], total, params.limit, params.offset)


@router.get("/calls/{call_id}", response_model=CallOut, summary="查看征集 / Get a call",
            description="Any signed-in user reads a published call; drafts are for city officers and auditors.")
async def read(call_id: Uuid, actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await visible_call(session, actor, call_id)
    return answer(CallOut, call_view(row, actor))


@router.patch("/calls/{call_id}", response_model=CallOut, summary="修改征集 / Edit a draft call",
              description="A city officer edits a draft (send If-Match); an opened call's rules no longer change (409).")
async def edit(call_id: Uuid, body: CallPatch, request: Request, actor: Actor = OfficerOnly,
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        before = await find_call(session, call_id, lock=True)
        check_if_match(request, before["version"])
        row = await edit_call(session, actor, before, body.model_dump(exclude_unset=True), runtime.jurisdiction)
    return answer(CallOut, call_view(row, actor))


@router.post("/calls/{call_id}/open", response_model=CallOut, summary="发布征集 / Open a call",
             description="A city officer opens a draft for applications (send If-Match). Publishes `call.opened`.")
async def open_(call_id: Uuid, request: Request, actor: Actor = OfficerOnly, on: date = Depends(business_day),
                runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        before = await find_call(session, call_id, lock=True)
        check_if_match(request, before["version"])
        row = await open_call(session, actor, before, on=on)
    return answer(CallOut, call_view(row, actor))


@router.post("/calls/{call_id}/close", response_model=CallOut, summary="截止征集 / Close a call",
             description="A city officer stops intake (send If-Match). Publishes `call.closed`. A dated call also closes by "
                         "itself once its last day is over in the jurisdiction's time zone (the worker's job).")
async def close(
    call_id: Uuid, request: Request, body: CloseIn | None = None, actor: Actor = OfficerOnly,
    on: date = Depends(business_day), runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        before = await find_call(session, call_id, lock=True)
        check_if_match(request, before["version"])
        row = await close_call(session, actor, before, on=on, reason=body.reason if body else "")
    return answer(CallOut, call_view(row, actor))
