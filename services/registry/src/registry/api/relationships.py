"""Routes for declared relationships between organisations (关联关系), the input of conflict-of-interest checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.inputs import Text, Uuid
from sihua_shared.panel import RelationshipKind
from sihua_shared.runtime import Runtime, get_runtime

from ..application.relationships import KIND_LABELS, declare_relationship, delete_relationship, list_relationships
from ..domain.access import OFFICIALS, ORGANISATION_EDITORS, RELATIONSHIP_READERS

router = APIRouter(prefix="/organisations/{org_id}/relationships", tags=["organisations 组织"])



class RelationshipIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    related_organisation_id: Uuid = Field(description="关联单位")
    kind: RelationshipKind = Field(description="shareholding 股权关系、group_membership 同一集团、staff_move 人员任职或流动")
    note: Text = Field(default="", max_length=1000, description="说明")


class RelationshipOut(BaseModel):
    id: str
    organisation_id: str
    related_organisation_id: str
    kind: RelationshipKind
    kind_zh: str
    note: str
    declared_by: str
    created_at: datetime


def relationship_out(row: Mapping[str, Any]) -> dict[str, Any]:
    kind_zh = KIND_LABELS.get(RelationshipKind(row["kind"]), row["kind"])
    return RelationshipOut(**{**row, "kind_zh": kind_zh}).model_dump(mode="json")


@router.post(
    "",
    status_code=201,
    summary="登记关联关系 / Declare a relationship",
    description=(
        "Officials with the organisation in scope, or the organisation itself, declare a shareholding, group "
        "membership or staff move with another registered organisation. It has no direction and feeds the "
        "conflict-of-interest checks of expert review. 409 when the pair already has that relationship. "
        "Publishes `relationship.declared`."
    ),
    response_model=RelationshipOut,
)
async def declare(
    org_id: Uuid,
    body: RelationshipIn,
    request: Request,
    actor: Actor = Depends(require_roles(*ORGANISATION_EDITORS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        row = await declare_relationship(session, actor, org_id, body.related_organisation_id, body.kind, body.note)
    return JSONResponse(relationship_out(row), status_code=201, headers={"Location": f"{request.url.path}/{row['id']}"})


@router.get(
    "",
    summary="关联关系列表 / List relationships",
    description="The relationships touching the organisation, declared from either side.",
    response_model=Page[RelationshipOut],
)
async def index(
    org_id: Uuid,
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*RELATIONSHIP_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        found, total = await list_relationships(session, actor, org_id, limit=page.limit, offset=page.offset)
    return JSONResponse({"items": [relationship_out(r) for r in found], "total": total, "limit": page.limit, "offset": page.offset})


@router.delete(
    "/{relationship_id}",
    status_code=204,
    summary="删除关联关系 / Withdraw a relationship",
    description="Officials with the organisation in scope withdraw a relationship declared in error, with the reason "
                "(撤回原因); audited. Publishes `relationship.withdrawn`.",
)
async def withdraw(
    org_id: Uuid,
    relationship_id: Uuid,
    reason: Text = Query("", max_length=1000, description="撤回原因"),
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        await delete_relationship(session, actor, org_id, relationship_id, reason)
    return Response(status_code=204)
