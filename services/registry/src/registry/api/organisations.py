"""Routes for organisations (企业与服务机构): register, read, list, update."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from sihua_shared.auth import Actor, require_roles
from sihua_shared.contracts.registry import OrganisationKind, VerificationStatus
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, model_json, page_params
from sihua_shared.inputs import Code, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode, SectorCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.organisation_profile import FEN_PER_WAN, KIND_LABELS, MAX_REVENUE_FEN, fen_to_wan
from ..application.organisations import list_organisations, register_organisation, update_organisation, visible_organisation
from ..domain.access import OFFICIALS, ORGANISATION_EDITORS, ORGANISATION_LISTERS, ORGANISATION_READERS
from ..domain.enterprise_systems import SYSTEMS
from ..domain.uscc import normalise_uscc

router = APIRouter(prefix="/organisations", tags=["organisations 组织"])



def _normalised_uscc(value: Any) -> Any:
    return normalise_uscc(value) if isinstance(value, str) else value


def _exact(value: Any) -> Any:
    """Money is never a float: a JSON number with a fraction would arrive as one."""
    if isinstance(value, float):
        raise PydanticCustomError(
            "value_error",
            'give revenue exactly, as a string such as "2000.50" or an integer',
            {"error": "营业收入请以字符串（如 \"2000.50\"）或整数填写"},
        )
    return value


Uscc = Annotated[
    str,
    BeforeValidator(_normalised_uscc),
    Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="统一社会信用代码 (GB 32100-2015, the check character is verified)"),
]
RevenueWan = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(ge=0, lt=MAX_REVENUE_FEN // FEN_PER_WAN, description="营业收入（万元），精确到分；字符串或整数 / revenue in 万元, exact"),
]
TotalAssetsWan = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(ge=0, lt=MAX_REVENUE_FEN // FEN_PER_WAN, description="资产总额（万元），精确到分；字符串或整数 / total assets in 万元, exact"),
]
Employees = Annotated[int, Field(ge=0, le=10_000_000, description="从业人员（人）")]
Systems = Annotated[
    list[Code],
    Field(max_length=len(SYSTEMS.systems),
          description="在用信息系统（代码）：" + "、".join(f"{s.code} {s.label_zh}" for s in SYSTEMS.systems)),
]


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: Uscc
    name: Text = Field(min_length=2, max_length=300, description="单位名称")
    kind: OrganisationKind = Field(description="类型：" + "、".join(f"{k} {v}" for k, v in KIND_LABELS.items()))
    district: DistrictCode | None = Field(default=None, description="所在区 (code); a district officer's own by default")
    sector: SectorCode | None = Field(default=None, description="试点行业 (code of the jurisdiction's pilot sectors)")
    industry_code: Text | None = Field(default=None, max_length=20, description="国民经济行业代码 GB/T 4754, e.g. C2110")
    employees: Employees | None = None
    revenue_wan: RevenueWan | None = None
    total_assets_wan: TotalAssetsWan | None = None
    systems: Systems | None = None


class OrganisationPatch(BaseModel):
    """Only the fields sent change; ``null`` clears an optional one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: Uscc | None = None
    name: Text | None = Field(default=None, min_length=2, max_length=300)
    kind: OrganisationKind | None = None
    district: DistrictCode | None = None
    sector: SectorCode | None = None
    industry_code: Text | None = Field(default=None, max_length=20)
    employees: Employees | None = None
    revenue_wan: RevenueWan | None = None
    total_assets_wan: TotalAssetsWan | None = None
    systems: Systems | None = None


class OrganisationOut(BaseModel):
    id: str
    uscc: str
    name: str
    kind: OrganisationKind
    kind_zh: str
    district: DistrictCode | None
    sector: SectorCode | None
    industry_code: str | None
    employees: int | None
    revenue_wan: Decimal | None = Field(description="营业收入（万元）, an exact decimal string")
    revenue_fen: int | None = Field(description="营业收入（分）")
    total_assets_wan: Decimal | None = Field(default=None, description="资产总额（万元）, an exact decimal string")
    total_assets_fen: int | None = Field(default=None, description="资产总额（分）")
    size_class: str | None = Field(
        description="中小企业划型: large, medium, small, micro; null until every quantity of the industry's row is known"
    )
    size_class_basis: dict[str, Any] | None = Field(
        description="how the size class was decided: the standard's row for the industry code, every comparison "
        "(level, quantity, value, threshold), or what is missing"
    )
    systems: list[str] | None = Field(default=None, description="在用信息系统（代码）; null: not said")
    systems_zh: list[str] | None = Field(default=None, description="在用信息系统（名称）")
    verification: VerificationStatus = Field(
        default="verified",
        description="核验状态: unverified (signed itself up, waiting for its district officer), verified, rejected",
    )
    verified_by: Literal["district_officer", "city_officer", "external_identity"] | None = Field(
        default=None, description="who verified it: a district or city officer, or the province's identity service"
    )
    verification_decided_on: date | None = Field(default=None, description="核验日期 (the jurisdiction's calendar)")
    rejection_reason: str | None = Field(default=None, description="不通过理由")
    version: int
    created_at: datetime
    updated_at: datetime


def _system_label(code: str) -> str:
    found = SYSTEMS.get(code)
    return found.label_zh if found else code


def organisation_model(row: Mapping[str, Any]) -> OrganisationOut:
    fen, assets = row.get("revenue_fen"), row.get("total_assets_fen")
    values: dict[str, Any] = {name: row.get(name) for name in OrganisationOut.model_fields}
    values |= {
        "kind_zh": KIND_LABELS.get(row["kind"], row["kind"]),
        "revenue_wan": None if fen is None else fen_to_wan(fen),
        "total_assets_wan": None if assets is None else fen_to_wan(assets),
        "systems_zh": None if row.get("systems") is None else [_system_label(code) for code in row["systems"]],
    }
    return OrganisationOut.model_validate(values)


def organisation_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return organisation_model(row).model_dump(mode="json")


def _answer(row: Mapping[str, Any], status: int = 200, **headers: str) -> Response:
    return model_json(organisation_model(row), status, ETag=etag_for(row["version"]), **headers)


@router.post(
    "",
    status_code=201,
    summary="登记组织 / Register an organisation",
    description=(
        "Officials register an enterprise or provider. The USCC's check character is verified (an invalid code is "
        "a field error and nothing is stored); the size class is computed by the row of "
        "《中小企业划型标准规定》 第四条 for the industry code (工业 when no code is given) once its quantities are "
        "given. A district officer registers in their own district. "
        "Accepts `Idempotency-Key`; publishes `organisation.registered`."
    ),
    response_model=OrganisationOut,
)
async def register(
    body: OrganisationIn,
    request: Request,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await register_organisation(session, actor, body.model_dump(), jurisdiction=runtime.jurisdiction)
        return organisation_out(row), {"Location": f"{request.url.path}/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"organisation:{actor.id}", create)


@router.get(
    "",
    summary="组织列表 / List organisations",
    description=(
        "City officers, auditors and services see every organisation; a district officer those of their district; "
        "an enterprise or provider only itself. Filters: kind, district, sector, `q` (part of the name) and "
        "`verification` (`unverified`: the sign-ups waiting for verification)."
    ),
    response_model=Page[OrganisationOut],
)
async def index(
    page: PageParams = Depends(page_params),
    kind: OrganisationKind | None = Query(None, description="类型"),
    district: DistrictCode | None = Query(None, description="所在区"),
    sector: SectorCode | None = Query(None, description="试点行业"),
    q: Text | None = Query(None, min_length=1, max_length=100, description="名称包含"),
    verification: VerificationStatus | None = Query(
        None, description="核验状态: `unverified` is a district officer's queue of sign-ups to verify"
    ),
    actor: Actor = Depends(require_roles(*ORGANISATION_LISTERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.read() as session:
        found, total = await list_organisations(
            session, actor, limit=page.limit, offset=page.offset, kind=kind, district=district, sector=sector, q=q,
            verification=verification,
        )
    items = [organisation_model(row) for row in found]
    return model_json(Page[OrganisationOut].model_construct(items=items, total=total, limit=page.limit, offset=page.offset))


@router.get(
    "/{org_id}",
    summary="查看组织 / Get an organisation",
    description="An organisation sees itself; officials see organisations in their district. The ETag is its version.",
    response_model=OrganisationOut,
)
async def read(
    org_id: Uuid,
    actor: Actor = Depends(require_roles(*ORGANISATION_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.read() as session:
        row = await visible_organisation(session, actor, org_id)
    return _answer(row)


@router.patch(
    "/{org_id}",
    summary="修改组织信息 / Update an organisation",
    description=(
        "Needs `If-Match` with the ETag. Officials with the organisation in scope change any field (a district "
        "officer keeps it in the district); the organisation's own people change sector, industry code, employees "
        "and revenue only. The size class is recomputed. Publishes `organisation.updated` with the new version."
    ),
    response_model=OrganisationOut,
)
async def patch(
    org_id: Uuid,
    body: OrganisationPatch,
    request: Request,
    actor: Actor = Depends(require_roles(*ORGANISATION_EDITORS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await update_organisation(
            session,
            actor,
            org_id,
            body.model_dump(exclude_unset=True),
            check_version=lambda version: check_if_match(request, version),
            jurisdiction=runtime.jurisdiction,
        )
    return _answer(row)
