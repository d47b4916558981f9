"""Routes for titles (称号): the public verification and published list, officials' views and revocation."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from sihua_shared.auth import Actor, require_roles
from sihua_shared.exports import EXPORT_RESPONSES, Column, export_response
from sihua_shared.http import check_if_match, etag_for, versioned_json
from sihua_shared.inputs import BusinessDate, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode, TitleKindCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.titles import find_title, grant_title_to, list_titles, revoke_title, valid_titles, verify_title, visible_title
from ..domain.access import CITY_ONLY, TITLE_READERS

router = APIRouter(prefix="/titles", tags=["titles 称号"])
TitleKind = TitleKindCode  # a title kind of the jurisdiction

EXPORT_COLUMNS = [
    Column("number", "称号编号", 22), Column("name_zh", "称号名称", 26), Column("organisation_name", "单位名称", 36),
    Column("uscc", "统一社会信用代码", 22), Column("district", "所在区", 10), Column("valid_from", "有效期自", 12),
    Column("valid_until", "有效期至", 12),
]


class TitleOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    number: str
    kind: TitleKind
    name_zh: str
    organisation_id: str
    call_id: str | None = None
    application_id: str | None = None
    valid_from: date
    valid_until: date
    revoked_on: date | None = None
    revocation_reason: str | None = None
    revoked_by: str | None = None
    version: int


class PublishedTitle(BaseModel):
    number: str
    name_zh: str
    organisation_name: str
    uscc: str
    district: DistrictCode | None
    valid_from: date
    valid_until: date


class PublishedTitles(BaseModel):
    items: list[PublishedTitle]
    total: int
    as_of: date = Field(description="名单日期（所在城市时区）/ the date the list is valid for")


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: Uuid
    kind: TitleKind
    valid_from: BusinessDate = Field(description="生效日期")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=2, max_length=1000, description="撤销原因")


def _answer(row: dict[str, Any], status: int = 200) -> Response:
    return versioned_json(TitleOut, row, status)


@router.get(
    "/verify/{number}",
    summary="称号核验 / Verify a title number (public)",
    description="Public, for banks and enterprises: whether a title number is valid today, and whose it is.",
    response_model=dict[str, Any],
)
async def verify(
    number: Annotated[Text, Path(max_length=60, description="称号编号")], runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.read() as session:
        result = await verify_title(session, number, runtime.clock.today())
    return Response(to_json(result), media_type="application/json")  # dates as ISO 8601


@router.get(
    "/published",
    summary="有效称号名单 / The published list of valid titles (public)",
    description="Public: every title valid today, as JSON, XLSX or CSV (UTF-8 with BOM, Chinese headers).",
    response_model=PublishedTitles,
    responses=EXPORT_RESPONSES,
)
async def published(
    kind: TitleKind | None = None,
    format: Literal["json", "xlsx", "csv"] = Query("json", description="json / xlsx / csv"),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        on = runtime.clock.today()
        rows = await valid_titles(session, on, kind=kind)
    if format != "json":
        return export_response(rows, EXPORT_COLUMNS, fmt=format, filename="有效称号名单", sheet="有效称号")
    items = [{c.key: (r[c.key].isoformat() if isinstance(r[c.key], date) else r[c.key]) for c in EXPORT_COLUMNS} for r in rows]
    return JSONResponse({"items": items, "total": len(items), "as_of": on.isoformat()})


@router.get(
    "",
    response_model=list[TitleOut],
    summary="称号列表 / List titles",
    description="Officials and auditors see every title, including revoked and expired ones; a provider sees its own.",
)
async def index(
    organisation_id: Uuid | None = None,
    actor: Actor = Depends(require_roles(*TITLE_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> list[TitleOut]:
    async with runtime.uow() as session:
        rows = await list_titles(session, actor, organisation_id=organisation_id)
    return [TitleOut.model_validate(dict(r)) for r in rows]


@router.get("/{title_id}", response_model=TitleOut, summary="查看称号 / Get a title",
            description="City officers, auditors, district officers of the holder's district, and the title's holder.")
async def read(
    title_id: Uuid,
    actor: Actor = Depends(require_roles(*TITLE_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await visible_title(session, actor, title_id)
    return _answer(row)


@router.post(
    "",
    status_code=201,
    response_model=TitleOut,
    summary="直接授予称号 / Grant a title directly",
    description=(
        "City officers record a title granted outside a call handled here (for example titles granted before the "
        "system went live). Titles won through a call are granted when the decision is final."
    ),
)
async def grant(
    body: GrantIn, request: Request, actor: Actor = Depends(require_roles(*CITY_ONLY)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await grant_title_to(session, actor, runtime.jurisdiction, organisation_id=body.organisation_id,
                                       kind=body.kind, valid_from=body.valid_from)
        return TitleOut.model_validate(row).model_dump(mode="json"), {"ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"title:{actor.id}", create)


@router.post(
    "/{title_id}/revoke",
    response_model=TitleOut,
    summary="撤销称号 / Revoke a title",
    description="A city officer revokes a title with a reason (S0 二(六)). Send If-Match with the title's ETag.",
)
async def revoke(
    title_id: Uuid, body: RevokeIn, request: Request,
    actor: Actor = Depends(require_roles(*CITY_ONLY)), runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await find_title(session, title_id, lock=True)
        check_if_match(request, row["version"])
        revoked = await revoke_title(session, actor, row, reason=body.reason, revoked_by="city_officer",
                                     on=runtime.clock.today())
    return _answer(revoked)
