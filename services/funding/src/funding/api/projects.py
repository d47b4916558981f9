"""Routes for transformation projects (数字化改造项目, S2 五(五)): contract, approved investment, progress,
supervision findings, completion, acceptance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import projects as uc
from ..domain.access import PROJECT_READERS
from ..domain.policy_schema import MAX_FEN
from ..domain.projects import STATES, Line

router = APIRouter(tags=["projects 改造项目"])
State = Literal["draft", "submitted", "investment_approved", "in_progress", "completed", "acceptance_applied", "accepted",
                "failed"]
assert set(State.__args__) == set(STATES)  # type: ignore[attr-defined]
Fen = int


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Key = Field(max_length=100, description="入库产品 id")
    version: int = Field(ge=1, le=10_000, description="产品版本")
    package_code: Key = Field(max_length=100, description="套餐代码")
    quantity: int = Field(ge=1, le=100_000, description="数量")
    unit_price_fen: Fen = Field(ge=0, le=MAX_FEN // 100_000, description="合同单价（分）")


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="里程碑名称（项目内唯一）")
    due_on: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31), description="计划完成日期")


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traction_unit_id: Key = Field(max_length=100, description="牵引单位（持有有效称号）")
    contract_number: Text = Field(max_length=100, description="合同编号")
    contract_amount_fen: Fen = Field(ge=0, le=MAX_FEN, description="合同金额（分，不含税）")
    declared_investment_fen: Fen = Field(ge=0, le=MAX_FEN, description="申报投入（分）")
    lines: list[LineIn] = Field(min_length=1, max_length=100, description="合同条目：已入库产品版本与套餐")
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=50,
                                          description="里程碑：名称（项目内唯一）与计划完成日期")


class InvestmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_investment_fen: Fen = Field(ge=0, le=MAX_FEN, description="核定投入（分）")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent: int = Field(ge=0, le=100, description="完成百分比")
    milestone: Text | None = Field(None, max_length=200, description="达成的里程碑（须为本项目的里程碑之一）")
    text: Text = Field(max_length=4000, description="进度说明")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text = Field(max_length=4000, description="监理意见")


class InvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Text = Field(max_length=100, description="发票号码")
    amount_fen: Fen = Field(ge=0, le=MAX_FEN, description="不含税金额（分）")


class AcceptanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: Uuid = Field(description="验收批次")
    invoices: list[InvoiceIn] = Field(min_length=1, max_length=200, description="发票（不含税金额）")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(max_length=200, description="批次名称")
    year: int = Field(ge=2000, le=2100, description="年度")
    closes_on: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31), description="受理截止日期")


class BatchOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    year: int
    opened_on: date
    closes_on: date
    created_by: str


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool = Field(description="验收是否通过")
    verified_actual_investment_fen: Fen | None = Field(None, ge=0, le=MAX_FEN, description="核实的实际投入（分，不含税）")
    reasons: list[Text] = Field(default_factory=list, max_length=20, description="不通过的理由")


class ReportOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: Literal["progress", "finding"]
    percent: int | None
    milestone: str | None
    text: str
    reported_on: date
    reported_by: str


class ProjectOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    enterprise_id: str
    enterprise_uscc: str
    district: str | None
    traction_unit_id: str
    title_id: str
    state: State
    contract_number: str
    contract_amount_fen: Fen
    declared_investment_fen: Fen
    approved_investment_fen: Fen | None = Field(None, description="核定投入（分）")
    verified_actual_investment_fen: Fen | None = Field(None, description="核实的实际投入（分）")
    lines: list[dict[str, Any]] = Field(description="合同条目，含目录价与是否高于目录价（价格走廊）")
    milestones: list[dict[str, Any]]
    price_flagged: bool = Field(description="有条目高于目录套餐价，待复核")
    flag: str | None = Field(None, description="牵引单位称号撤销等待决定事项")
    progress_percent: int
    contracted_on: date | None = None
    checked_on: date | None = None
    completed_on: date | None = None
    batch_id: str | None = None
    invoices: list[dict[str, Any]] | None = Field(None, description="发票（不含税金额，分）")
    invoiced_fen: Fen | None = Field(None, description="发票金额合计（不含税，分）")
    assessment_id: str | None = Field(None, description="验收所依据的改造后现场评估")
    post_level: int | None = Field(None, description="改造后评估等级")
    version: int
    reports: list[ReportOut] | None = None


@router.post("/projects", status_code=201, response_model=ProjectOut, summary="登记改造项目 / Record a project (draft)",
             description=("A pilot enterprise records its contract with a traction unit holding a valid title: amount, "
                          "lines of admitted catalogue product versions and packages (a line above the catalogue price is "
                          "flagged), declared investment, milestones (name unique in the project, due date). Send an Idempotency-Key."))
async def create(body: ProjectIn, request: Request, actor: Actor = Depends(require_roles("enterprise")),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.create_project(
                session, actor, traction_unit_id=body.traction_unit_id, contract_number=body.contract_number,
                contract_amount_fen=body.contract_amount_fen, declared_investment_fen=body.declared_investment_fen,
                lines=[Line(**line.model_dump()) for line in body.lines], milestones=[m.model_dump(mode="json") for m in body.milestones])
        out = ProjectOut.model_validate(row).model_dump(mode="json")
        return out, {"ETag": etag_for(int(row["version"])), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"funding_project:{actor.id}", make)


@router.get("/projects", response_model=Page[ProjectOut], summary="改造项目列表 / Projects",
            description=("The enterprise its own, the traction unit its own, districts theirs; the city, auditors, finance "
                         "and third parties all."))
async def index(
    state: State | None = Query(None, description="状态"),
    flagged: bool | None = Query(None, description="仅看待复核（价格或称号撤销）"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*PROJECT_READERS)), runtime: Runtime = Depends(get_runtime),
) -> Page[ProjectOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_projects(session, actor, state=state, flagged=flagged, limit=page.limit, offset=page.offset)
    return Page(items=[ProjectOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="查看改造项目 / A project with its reports",
            description="The project with its progress reports and supervision findings.")
async def read(project_id: Uuid, actor: Actor = Depends(require_roles(*PROJECT_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(ProjectOut, await uc.get_project(session, actor, project_id))


Step = Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _step(runtime: Runtime, request: Request, actor: Actor, project_id: str, action: str, run: Step) -> Response:
    async with runtime.uow() as session:
        project = await uc.get_project(session, actor, project_id)
        uc.ensure_may(actor, project, action)
        check_if_match(request, project["version"])
        await run(session, project)
        return versioned_json(ProjectOut, await uc.get_project(session, actor, project_id))


@router.post("/projects/{project_id}/submit", response_model=ProjectOut, summary="提交合同 / Submit the contract",
             description="The enterprise submits; the traction unit's title must still be valid. Send If-Match.")
async def submit(project_id: Uuid, request: Request, actor: Actor = Depends(require_roles("enterprise")),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "submit",
                       lambda s, p: uc.submit(s, actor, p, p["version"]))


@router.post("/projects/{project_id}/investment", response_model=ProjectOut, summary="核定投入 / Set the approved investment",
             description="The third-party organisation sets the approved investment (never above the declared). Send If-Match.")
async def investment(project_id: Uuid, body: InvestmentIn, request: Request,
                     actor: Actor = Depends(require_roles("third_party")), runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "approve_investment", lambda s, p: uc.approve_investment(
        s, actor, p, p["version"], approved_investment_fen=body.approved_investment_fen))


@router.post("/projects/{project_id}/progress", response_model=ProjectOut, summary="报告进度 / Report progress",
             description=("The traction unit reports the percent done and the milestone reached (one of the "
                          "project's). Send If-Match."))
async def progress(project_id: Uuid, body: ReportIn, request: Request, actor: Actor = Depends(require_roles("provider")),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "report", lambda s, p: uc.report(
        s, actor, p, p["version"], kind="progress", percent=body.percent, milestone=body.milestone, text=body.text))


@router.post("/projects/{project_id}/findings", response_model=ProjectOut, summary="监理意见 / Record a supervision finding",
             description="A third party or a city officer records a supervision finding (监理). Send If-Match.")
async def finding(project_id: Uuid, body: FindingIn, request: Request,
                  actor: Actor = Depends(require_roles("third_party", "city_officer")),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "finding", lambda s, p: uc.report(
        s, actor, p, p["version"], kind="finding", percent=None, milestone=None, text=body.text))


@router.post("/projects/{project_id}/complete", response_model=ProjectOut, summary="完成 / Complete",
             description="The traction unit completes the project after at least one progress report. Send If-Match.")
async def complete(project_id: Uuid, request: Request, actor: Actor = Depends(require_roles("provider")),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "complete", lambda s, p: uc.complete(s, actor, p, p["version"]))


@router.post("/projects/{project_id}/acceptance", response_model=ProjectOut, summary="申请验收 / Apply for acceptance",
             description=("The enterprise applies in an open acceptance batch for its completed project, with its invoices "
                          "(tax-exclusive amounts in fen). Send If-Match."))
async def acceptance(project_id: Uuid, body: AcceptanceIn, request: Request, actor: Actor = Depends(require_roles("enterprise")),
                     runtime: Runtime = Depends(get_runtime)) -> Response:
    invoices = [i.model_dump() for i in body.invoices]
    return await _step(runtime, request, actor, project_id, "apply_acceptance",
                       lambda s, p: uc.apply_acceptance(s, actor, p, p["version"], batch_id=body.batch_id, invoices=invoices))


@router.post("/acceptance-batches", status_code=201, response_model=BatchOut, summary="开启验收批次 / Open an acceptance batch",
             description="A city officer opens an acceptance batch (S2 五(六)) that takes applications until it closes.")
async def open_batch(body: BatchIn, actor: Actor = Depends(require_roles("city_officer")),
                     runtime: Runtime = Depends(get_runtime)) -> BatchOut:
    async with runtime.uow() as session:
        return BatchOut.model_validate(await uc.open_batch(session, actor, name=body.name, year=body.year, closes_on=body.closes_on))


@router.get("/acceptance-batches", response_model=Page[BatchOut], summary="验收批次 / Acceptance batches",
            description="Every acceptance batch, the latest first.")
async def batches(page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*PROJECT_READERS)),
                  runtime: Runtime = Depends(get_runtime)) -> Page[BatchOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_batches(session, limit=page.limit, offset=page.offset)
    return Page(items=[BatchOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.post("/projects/{project_id}/decision", response_model=ProjectOut, summary="验收结论 / Decide acceptance",
             description=("A city officer accepts (with the verified actual investment, tax-exclusive, at most the invoices; "
                          "an on-site post-transformation assessment taken after completion is required) or fails (with "
                          "reasons) the project. Send If-Match."))
async def decision(project_id: Uuid, body: DecisionIn, request: Request, actor: Actor = Depends(require_roles("city_officer")),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    return await _step(runtime, request, actor, project_id, "accept" if body.passed else "fail", lambda s, p: uc.decide(
        s, actor, p, p["version"], passed=body.passed, verified_actual_investment_fen=body.verified_actual_investment_fen,
        reasons=list(body.reasons)))
