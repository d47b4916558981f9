"""Routes for consents (授权): an enterprise lets a provider or the third-party organisation assess for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.consents import grant_consent, list_consents, revocable_consent, revoke_consent
from ..domain.access import CONSENT_READERS, ENTERPRISES

router = APIRouter(prefix="/consents", tags=["consents 评测授权"])


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: Key = Field(description="被授权的服务商或第三方机构 id")


class ConsentOut(BaseModel):
    id: str
    enterprise_id: str
    organisation_id: str
    granted_by: str
    granted_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    version: int


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return ConsentOut.model_validate(row).model_dump(mode="json")


@router.post("", status_code=201, response_model=ConsentOut, summary="授权机构代为评测 / Consent to an organisation",
             description="An enterprise lets a provider or the third-party organisation start and fill assessments for it.")
async def grant(
    body: ConsentIn, request: Request, actor: Actor = Depends(require_roles(*ENTERPRISES)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await grant_consent(session, actor, body.organisation_id)
        return _out(row), {"ETag": etag_for(row["version"]), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"consent:{actor.id}", create)


@router.get("", response_model=Page[ConsentOut], summary="授权列表 / List consents",
            description="An enterprise sees those it granted; an organisation those granted to it; city officers all.")
async def index(
    page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*CONSENT_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[ConsentOut]:
    async with runtime.uow() as session:
        items, total = await list_consents(session, actor, limit=page.limit, offset=page.offset)
    return Page(items=[ConsentOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.post("/{consent_id}/revoke", response_model=ConsentOut, summary="撤销授权 / Revoke a consent",
             description="The enterprise withdraws it (send If-Match). Started assessments stay; new ones and "
             "submissions by that organisation stop.")
async def revoke(
    consent_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*ENTERPRISES)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await revocable_consent(session, actor, consent_id)
        check_if_match(request, row["version"])
        after = await revoke_consent(session, actor, row)
    return JSONResponse(_out(after), headers={"ETag": etag_for(after["version"])})
