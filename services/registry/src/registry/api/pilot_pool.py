"""Routes for the pilot pool (诊断+改造入库名单): enrol, remove, read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import Text, Uuid
from sihua_shared.jurisdiction import DistrictCode, SectorCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.pilot_pool import enrol_enterprise, get_enrolment, list_enrolments, remove_enterprise
from ..domain.access import OFFICIALS, POOL_READERS

router = APIRouter(prefix="/pilot-pool", tags=["pilot pool 试点企业名单"])


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_id: Uuid = Field(description="企业（组织 id）")


class RemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=1000, description="移出原因")


class EnrolmentOut(BaseModel):
    id: str
    enterprise_id: str
    name: str | None = Field(description="企业名称")
    uscc: str
    sector: SectorCode
    district: DistrictCode
    size_class: str
    status: Literal["current", "removed"]
    ordinal: int = Field(description="the enterprise's n-th enrolment")
    enrolled_on: date
    enrolled_by: str
    removed_on: date | None
    removed_by: str | None
    removal_reason: str | None
    version: int


def enrolment_out(row: Mapping[str, Any]) -> dict[str, Any]:
    status = "current" if row["removed_on"] is None else "removed"
    return EnrolmentOut(**{**row, "status": status}).model_dump(mode="json")


def _answer(row: Mapping[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(enrolment_out(row), status_code=status, headers={"ETag": etag_for(row["version"]), **headers})


@router.post(
    "",
    status_code=201,
    summary="纳入试点企业名单 / Enrol an enterprise in the pilot",
    description=(
        "District officers (their own district) and city officers enrol an enterprise that is an SME by "
        "《中小企业划型标准规定》 (S2 二: employees and revenue on file, not large), in one of the jurisdiction's "
        "pilot sectors carried out in its district (S2 三(二)). Every unmet condition is a field error (422); an "
        "enterprise already in the pool is 409. Accepts `Idempotency-Key`; publishes `pilot_pool.enterprise_enrolled`."
    ),
    response_model=EnrolmentOut,
)
async def enrol(
    body: EnrolmentIn,
    request: Request,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await enrol_enterprise(session, actor, body.enterprise_id, jurisdiction=runtime.jurisdiction)
        return enrolment_out(row), {"Location": f"{request.url.path}/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"pilot-enrolment:{actor.id}", create)


@router.get(
    "",
    summary="试点企业名单 / The pilot pool",
    description=(
        "City officers, auditors, services and the third-party organisation see the whole pool; a district officer "
        "their district; an enterprise its own enrolments. `status`: current (default), removed or all."
    ),
    response_model=Page[EnrolmentOut],
)
async def index(
    page: PageParams = Depends(page_params),
    status: Literal["current", "removed", "all"] = Query("current", description="名单状态"),
    district: DistrictCode | None = Query(None, description="所在区"),
    sector: SectorCode | None = Query(None, description="试点行业"),
    enterprise_id: Uuid | None = Query(None, description="企业"),
    actor: Actor = Depends(require_roles(*POOL_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        found, total = await list_enrolments(
            session, actor, limit=page.limit, offset=page.offset, status=status, district=district, sector=sector,
            enterprise_id=enterprise_id,
        )
    return JSONResponse({"items": [enrolment_out(r) for r in found], "total": total, "limit": page.limit, "offset": page.offset})


@router.get(
    "/{enrolment_id}",
    summary="查看试点入库记录 / Get a pilot enrolment",
    description="Visible as in the list. The ETag is its version.",
    response_model=EnrolmentOut,
)
async def read(
    enrolment_id: Uuid,
    actor: Actor = Depends(require_roles(*POOL_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await get_enrolment(session, actor, enrolment_id)
    return _answer(row)


@router.post(
    "/{enrolment_id}/remove",
    summary="移出试点企业名单 / Remove an enterprise from the pilot",
    description=(
        "District officers (their own district) and city officers remove an enterprise, with the reason. Needs "
        "`If-Match` with the enrolment's ETag; 409 when it was already removed. Publishes `pilot_pool.enterprise_removed`."
    ),
    response_model=EnrolmentOut,
)
async def remove(
    enrolment_id: Uuid,
    body: RemovalIn,
    request: Request,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await remove_enterprise(
            session, actor, enrolment_id, body.reason,
            check_version=lambda version: check_if_match(request, version),
        )
    return _answer(row)
