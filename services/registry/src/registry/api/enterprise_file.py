"""Routes for the enterprise file (一企一档)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.inputs import Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.enterprise_file import read_enterprise_file
from ..application.organisations import visible_organisation
from ..domain import access as policy

router = APIRouter(prefix="/enterprises", tags=["enterprise file 一企一档"])


class FileEntry(BaseModel):
    event_id: str
    event_type: str
    source: str
    title_zh: str
    occurred_at: datetime
    data: dict[str, Any]


@router.get(
    "/{organisation_id}/file",
    summary="一企一档 / The enterprise file",
    description=(
        "The enterprise's timeline assembled from every service's facts (registration, pilot enrolment, "
        "assessments, reports, contracts, acceptance, subsidies…), oldest first. Readable by the enterprise "
        "itself and by officials of its district, the city and auditors."
    ),
    response_model=Page[FileEntry],
)
async def enterprise_file(
    organisation_id: Uuid,
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*policy.ENTERPRISE_FILE_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[FileEntry]:
    async with runtime.uow() as session:
        await visible_organisation(session, actor, organisation_id, scope=policy.enterprise_file(actor))
        entries, total = await read_enterprise_file(session, organisation_id, limit=page.limit, offset=page.offset)
    return Page(items=[FileEntry.model_validate(e) for e in entries], total=total, limit=page.limit, offset=page.offset)
