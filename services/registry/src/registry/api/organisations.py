"""Routes for organisations (企业与服务机构)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, ensure_owner, require_roles
from sihua_shared.problems import not_found
from sihua_shared.runtime import Runtime, get_runtime

from ..application.organisations import get_organisation, register_organisation

router = APIRouter(prefix="/organisations", tags=["organisations 组织"])


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="统一社会信用代码")
    name: str = Field(min_length=2, max_length=300, description="单位名称")
    kind: Literal["enterprise", "platform", "traction_unit", "diagnosis_provider", "third_party", "agency"]
    district: str | None = Field(default=None, max_length=50, description="所在区")
    sector: str | None = Field(default=None, max_length=50, description="试点行业")
    industry_code: str | None = Field(default=None, max_length=20, description="国民经济行业代码 GB/T 4754")


class OrganisationOut(OrganisationIn):
    model_config = ConfigDict(extra="ignore")

    id: str
    size_class: str | None = None
    version: int
    created_at: datetime | None = None


@router.post(
    "",
    status_code=201,
    summary="登记组织 / Register an organisation",
    description="Officials register an enterprise or provider; publishes `organisation.registered`.",
    response_model=OrganisationOut,
)
async def register(
    body: OrganisationIn,
    request: Request,
    actor: Actor = Depends(require_roles("city_officer", "district_officer")),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await register_organisation(
                session, actor, body.model_dump(), namespace=runtime.settings.nats_namespace
            )
        out = OrganisationOut.model_validate(row).model_dump(mode="json")
        return out, {"Location": f"{request.url.path}/{row['id']}", "ETag": f'"{row["version"]}"'}

    return await runtime.idempotency.run(request, f"organisation:{actor.id}", create)


@router.get(
    "/{org_id}",
    summary="查看组织 / Get an organisation",
    description="An organisation sees itself; officials see organisations in their district.",
    response_model=OrganisationOut,
)
async def read(
    org_id: str,
    actor: Actor = Depends(require_roles("enterprise", "provider", "city_officer", "district_officer", "auditor", "expert", "third_party")),
    runtime: Runtime = Depends(get_runtime),
) -> OrganisationOut:
    async with runtime.uow() as session:
        row = await get_organisation(session, org_id)
    if row is None:
        raise not_found("organisation", org_id)
    ensure_owner(actor, row["id"], district=row.get("district"))
    return OrganisationOut.model_validate(row)
