"""Routes for 产业生态联合体: a traction unit's partners, declared by it, confirmed by each partner, ended by either."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.ecosystem import decide_partnership, declare_partner, end_partnership, get_membership, list_memberships
from ..domain.access import ALLIANCE_MEMBER_ROLES, ECOSYSTEM_DECLARERS, ECOSYSTEM_ENDERS, ECOSYSTEM_READERS
from ..domain.alliances import EcosystemState

router = APIRouter(prefix="/ecosystem-memberships", tags=["ecosystem 产业生态联合体"])


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partner_id: Uuid = Field(description="成员单位（数字化服务单位的组织 id）")
    traction_unit_id: Uuid | None = Field(default=None, description="牵引单位（默认为本单位）")
    note: Text = Field(default="", max_length=1000, description="合作说明")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=1000, description="原因")


class OptionalReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(default="", max_length=1000, description="原因（可不填）")


class MembershipOut(BaseModel):
    id: str
    traction_unit_id: str
    traction_unit_name: str | None = Field(description="牵引单位名称")
    partner_id: str
    partner_name: str | None = Field(description="成员单位名称")
    state: EcosystemState = Field(description="declared 待确认 / confirmed 已确认 / declined 已谢绝 / ended 已终止")
    state_zh: str
    note: str
    declared_by: str
    declared_on: date
    decided_by: str | None
    confirmed_on: date | None
    declined_on: date | None
    decline_reason: str | None
    ended_by: str | None
    ended_on: date | None
    end_reason: str | None
    version: int


def membership_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "state_zh": EcosystemState(row["state"]).label_zh}


def _answer(row: Mapping[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return versioned_json(MembershipOut, membership_view(row), status, **headers)


@router.post(
    "",
    status_code=201,
    summary="申报生态联合体成员 / Declare an ecosystem partner",
    description=(
        "A traction unit's own accounts (an organisation of kind traction_unit, or holding a valid 数字化牵引单位 title) "
        "declare a provider of digital services as a partner of its 产业生态联合体; the partner then confirms or "
        "declines. 409 when the organisation is no traction unit or the partner is already declared. "
        "Accepts `Idempotency-Key`."
    ),
    response_model=MembershipOut,
)
async def declare(
    body: PartnerIn,
    request: Request,
    actor: Actor = Depends(require_roles(*ECOSYSTEM_DECLARERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await declare_partner(session, actor, body.traction_unit_id, body.partner_id, body.note)
        body_out = MembershipOut.model_validate(membership_view(row)).model_dump(mode="json")
        return body_out, {"Location": f"{request.url.path}/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"ecosystem:{actor.id}", create)


@router.get(
    "",
    summary="生态联合体成员列表 / List ecosystem memberships",
    description=(
        "Either side sees its memberships; a district officer those touching an organisation of the district; the city, "
        "auditors and services every one. Filters: traction unit, partner, state."
    ),
    response_model=Page[MembershipOut],
)
async def index(
    page: PageParams = Depends(page_params),
    traction_unit_id: Uuid | None = Query(None, description="牵引单位"),
    partner_id: Uuid | None = Query(None, description="成员单位"),
    state: EcosystemState | None = Query(None, description="状态"),
    actor: Actor = Depends(require_roles(*ECOSYSTEM_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        found, total = await list_memberships(session, actor, limit=page.limit, offset=page.offset,
                                              traction_unit_id=traction_unit_id, partner_id=partner_id,
                                              state=None if state is None else state.value)
    items = [MembershipOut.model_validate(membership_view(r)).model_dump(mode="json") for r in found]
    return JSONResponse({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


@router.get(
    "/{membership_id}",
    summary="查看生态联合体成员关系 / Get an ecosystem membership",
    description="Visible as in the list. The ETag is its version.",
    response_model=MembershipOut,
)
async def read(
    membership_id: Uuid,
    actor: Actor = Depends(require_roles(*ECOSYSTEM_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await get_membership(session, actor, membership_id)
    return _answer(row)


@router.post(
    "/{membership_id}/confirm",
    summary="确认加入生态联合体 / Confirm a partnership",
    description=(
        "The partner's own accounts confirm a declaration. Needs `If-Match`; 409 unless it is declared. "
        "Publishes `ecosystem.partner_confirmed`."
    ),
    response_model=MembershipOut,
)
async def confirm(
    membership_id: Uuid,
    request: Request,
    actor: Actor = Depends(require_roles(*ALLIANCE_MEMBER_ROLES)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await decide_partnership(session, actor, membership_id, confirm=True,
                                       check_version=lambda version: check_if_match(request, version))
    return _answer(row)


@router.post(
    "/{membership_id}/decline",
    summary="谢绝加入生态联合体 / Decline a partnership",
    description="The partner's own accounts decline a declaration, optionally with the reason. Needs `If-Match`.",
    response_model=MembershipOut,
)
async def decline(
    membership_id: Uuid,
    body: OptionalReasonIn,
    request: Request,
    actor: Actor = Depends(require_roles(*ALLIANCE_MEMBER_ROLES)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await decide_partnership(session, actor, membership_id, confirm=False, reason=body.reason,
                                       check_version=lambda version: check_if_match(request, version))
    return _answer(row)


@router.post(
    "/{membership_id}/end",
    summary="终止生态联合体成员关系 / End a partnership",
    description=(
        "Either side's accounts, or a city officer, end a declared or confirmed membership with the reason. Needs "
        "`If-Match`; 409 when it has already ended or was declined. A confirmed one publishes `ecosystem.partner_ended`."
    ),
    response_model=MembershipOut,
)
async def end(
    membership_id: Uuid,
    body: ReasonIn,
    request: Request,
    actor: Actor = Depends(require_roles(*ECOSYSTEM_ENDERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await end_partnership(session, actor, membership_id, body.reason,
                                    check_version=lambda version: check_if_match(request, version))
    return _answer(row)
