"""Routes for diagnosis projects (诊断服务项目)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Key, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.project_completion import complete_project
from ..application.projects import assign_project, cancel_project, get_project, list_projects
from ..domain.access import PROJECT_ASSIGNERS, PROJECT_COMPLETERS, PROJECT_READERS

router = APIRouter(prefix="/diagnosis-projects", tags=["diagnosis projects 诊断服务项目"])


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Key = Field(description="企业 id（登记系统）")
    provider_id: Key = Field(description="评估诊断服务项目承担单位 id")
    fee_fen: int | None = Field(
        None, ge=0, le=2**63 - 1,
        description="约定的诊断服务费（分；1元=100分），每个企业项目最高20万元（S0 三(三)）",
    )


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=2, max_length=1000, description="取消原因")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessment_id: Uuid = Field(description="本服务商开展的现场评定 id（已提交，报告已出具）")
    plan: Text = Field(min_length=2, max_length=20000, description="改造方案（每行一条，写入诊断报告）")


class ProjectOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    enterprise_id: str
    provider_id: str
    district: DistrictCode | None
    state: Literal["assigned", "completed", "cancelled"]
    assigned_on: date
    completed_on: date | None = None
    assessment_id: str | None = None
    report_id: str | None = None
    cancel_reason: str | None = None
    fee_fen: int | None = None
    plan: str | None = None
    version: int


def _answer(row: dict[str, object], status: int = 200) -> Response:
    return versioned_json(ProjectOut, row, status)


@router.post(
    "",
    status_code=201,
    response_model=ProjectOut,
    summary="派单 / Assign an enterprise to a diagnosis provider",
    description=(
        "City officers, or district officers for enterprises of their district, assign an enterprise to a provider "
        "holding a valid diagnosis-provider title (S0 二(四)). One open project per enterprise."
    ),
)
async def assign(
    body: AssignIn,
    request: Request,
    actor: Actor = Depends(require_roles(*PROJECT_ASSIGNERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await assign_project(session, actor, body.enterprise_id, body.provider_id, fee_fen=body.fee_fen,
                                      fee_cap=runtime.jurisdiction.diagnosis_fee_cap)
        out = ProjectOut.model_validate(row).model_dump(mode="json")
        return out, {"ETag": etag_for(row["version"]), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"diagnosis_project:{actor.id}", create)


@router.get(
    "",
    response_model=Page[ProjectOut],
    summary="诊断服务项目列表 / List diagnosis projects",
    description="Officials see their district (city: all); providers their own projects; enterprises their own.",
)
async def index(
    state: Literal["assigned", "completed", "cancelled"] | None = Query(None, description="状态"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*PROJECT_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[ProjectOut]:
    async with runtime.uow() as session:
        items, total = await list_projects(session, actor, state=state, limit=page.limit, offset=page.offset)
    return Page(items=[ProjectOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{project_id}", response_model=ProjectOut, summary="查看诊断服务项目 / Get a diagnosis project",
            description="Visible to the same actors as the list.")
async def read(
    project_id: Uuid, actor: Actor = Depends(require_roles(*PROJECT_READERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.uow() as session:
        return _answer(await get_project(session, actor, project_id))


@router.post(
    "/{project_id}/cancel",
    response_model=ProjectOut,
    summary="取消派单 / Cancel a diagnosis project",
    description=(
        "City officers, or district officers of its district, cancel an open project with a reason. "
        "Send If-Match with the project's ETag."
    ),
)
async def cancel(
    project_id: Uuid,
    body: CancelIn,
    request: Request,
    actor: Actor = Depends(require_roles(*PROJECT_ASSIGNERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        project = await get_project(session, actor, project_id)
        check_if_match(request, project["version"])
        return _answer(await cancel_project(session, actor, project, body.reason))


@router.post(
    "/{project_id}/complete",
    response_model=ProjectOut,
    summary="完成诊断服务项目 / Complete a diagnosis project",
    description=(
        "The assigned provider completes the project with its on-site assessment of the enterprise (submitted, report "
        "issued) and the transformation plan (改造方案); the plan's lines go into the next revision of the report. "
        "Send If-Match with the project's ETag. Publishes `diagnosis_project.completed` (funding pays it under S0 三(三))."
    ),
)
async def complete(
    project_id: Uuid,
    body: CompleteIn,
    request: Request,
    actor: Actor = Depends(require_roles(*PROJECT_COMPLETERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        project = await get_project(session, actor, project_id)
        check_if_match(request, project["version"])
        return _answer(await complete_project(session, actor, project, assessment_id=body.assessment_id, plan=body.plan))
