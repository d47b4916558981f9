"""Routes of key platforms' industry common solutions (行业共性解决方案) and annual work plans (年度转型工作计划)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import Code, Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import solutions as uc
from ..domain.access import PLATFORM_ACCOUNTS, SOLUTION_READERS, WORK_PLAN_READERS

router = APIRouter(tags=["solutions 行业共性解决方案与年度计划"])


class SolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=200, description="方案名称")
    sector: Code = Field(description="细分行业")
    summary: Text = Field(min_length=1, max_length=4000, description="方案简介")
    product_ids: list[Uuid] = Field(min_length=1, max_length=50, description="组成方案的入库产品")
    partner_organisation_ids: list[Key] = Field(default_factory=list, max_length=20,
                                                description="联合共建的其他重点平台（组织 id）")


class SolutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    lead_organisation_id: str
    partner_organisation_ids: list[str]
    confirmations: dict[str, Any]
    title: str
    sector: str
    summary: str
    products: list[dict[str, Any]]
    state: str
    published_on: date | None
    created_at: datetime
    version: int


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sector: Code = Field(description="细分行业")
    enterprises_to_serve: int = Field(ge=0, le=1_000_000, description="计划服务企业数")
    products_to_apply: int = Field(ge=0, le=10_000, description="计划应用产品数")


class WorkPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2024, le=2035, description="年度")
    targets: list[TargetIn] = Field(min_length=1, max_length=50, description="分行业目标")


class ResultOut(BaseModel):
    sector: str | None
    enterprises_served: int
    products_applied: int


class WorkPlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    organisation_id: str
    year: int
    targets: list[dict[str, Any]]
    filed_on: date
    results: list[ResultOut] = Field(default_factory=list, description="实际完成（按行业）")


@router.post("/solutions", status_code=201, response_model=SolutionOut, summary="创建行业共性解决方案 / Draft a solution",
             description="A key platform drafts an industry common solution made of listed products, alone or with partner "
             "key platforms (联合共建). Idempotency-Key.")
async def create(body: SolutionIn, request: Request, actor: Actor = Depends(require_roles(*PLATFORM_ACCOUNTS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.create_solution(session, actor, body.model_dump())
        return SolutionOut.model_validate(row).model_dump(mode="json"), {"ETag": f'"{row["version"]}"'}

    return await runtime.idempotency.run(request, f"solution:{actor.id}", make)


@router.get("/solutions", response_model=Page[SolutionOut], summary="行业共性解决方案 / Solutions",
            description="Published solutions; drafts to their lead and partner platforms; the city and auditors all.")
async def index(page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*SOLUTION_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> Page[SolutionOut]:
    async with runtime.uow() as session:
        rows, total = await uc.list_solutions(session, actor, limit=page.limit, offset=page.offset)
    return Page(items=[SolutionOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/solutions/{solution_id}", response_model=SolutionOut, summary="解决方案详情 / A solution",
            description="With its partners' confirmations and the ETag for the next step.")
async def show(solution_id: Uuid, actor: Actor = Depends(require_roles(*SOLUTION_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(SolutionOut, await uc.get_solution(session, actor, solution_id))


@router.post("/solutions/{solution_id}/publish", response_model=SolutionOut, summary="发布解决方案 / Publish",
             description="The lead platform publishes (If-Match): at once alone; jointly, once every partner confirmed.")
async def publish(solution_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*PLATFORM_ACCOUNTS)),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_solution(session, actor, solution_id, lock=True)
        check_if_match(request, row["version"])
        return versioned_json(SolutionOut, await uc.publish(session, actor, row))


@router.post("/solutions/{solution_id}/confirm", response_model=SolutionOut, summary="确认联合共建 / Confirm as a partner",
             description="A partner platform confirms (If-Match); the last confirmation publishes the solution.")
async def confirm(solution_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*PLATFORM_ACCOUNTS)),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_solution(session, actor, solution_id, lock=True)
        check_if_match(request, row["version"])
        return versioned_json(SolutionOut, await uc.confirm(session, actor, row))


@router.post("/work-plans", status_code=201, response_model=WorkPlanOut, summary="报送年度转型工作计划 / File a work plan",
             description="A key platform files its annual work plan, one a year, with targets by sector (enterprises "
             "to serve, products to apply). Idempotency-Key.")
async def file_plan(body: WorkPlanIn, request: Request, actor: Actor = Depends(require_roles(*PLATFORM_ACCOUNTS)),
                    runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.file_work_plan(session, actor, body.model_dump())
        return WorkPlanOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"work-plan:{actor.id}", make)


@router.get("/work-plans", response_model=list[WorkPlanOut], summary="年度转型工作计划 / Work plans",
            description="The platform its own, officials every one.")
async def plans(actor: Actor = Depends(require_roles(*WORK_PLAN_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> list[WorkPlanOut]:
    async with runtime.uow() as session:
        return [WorkPlanOut.model_validate(r) for r in await uc.list_work_plans(session, actor)]


@router.get("/work-plans/{plan_id}", response_model=WorkPlanOut, summary="工作计划与完成情况 / A work plan",
            description="The targets beside the results so far: enterprises of each sector that adopted the platform's "
            "products that year, and how many of its products.")
async def plan(plan_id: Uuid, actor: Actor = Depends(require_roles(*WORK_PLAN_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> WorkPlanOut:
    async with runtime.uow() as session:
        return WorkPlanOut.model_validate(await uc.get_work_plan(session, actor, plan_id))
