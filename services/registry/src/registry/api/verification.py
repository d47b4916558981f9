"""Routes verifying or rejecting an organisation that signed itself up (单位核验)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import check_if_match, etag_for
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.verification import reject_organisation, verify_organisation
from ..domain.access import VERIFIERS
from .organisations import OrganisationOut, organisation_out

router = APIRouter(prefix="/organisations", tags=["organisations 组织"])


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=1000, description="不通过理由（告知申请单位）/ the reason, told to the organisation")


def _answer(row: dict[str, object]) -> JSONResponse:
    return JSONResponse(organisation_out(row), headers={"ETag": etag_for(int(str(row["version"])))})


@router.post(
    "/{org_id}/verify",
    summary="核验通过 / Verify a signed-up organisation",
    description=(
        "A district officer of the organisation's district, or a city officer, verifies an organisation that signed "
        "itself up (or one rejected before). From then on its self-assessments count and it may apply to calls. "
        "Send `If-Match` with the organisation's ETag. Audited; publishes `organisation.verified`."
    ),
    response_model=OrganisationOut,
)
async def verify(
    org_id: Uuid, request: Request,
    actor: Actor = Depends(require_roles(*VERIFIERS)), runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        row = await verify_organisation(session, actor, org_id, check_version=lambda version: check_if_match(request, version))
    return _answer(row)


@router.post(
    "/{org_id}/reject",
    summary="核验不通过 / Reject a signed-up organisation",
    description=(
        "A district officer of the organisation's district, or a city officer, rejects an unverified organisation "
        "with a reason. It keeps its profile and practice assessments and may be verified later. Send `If-Match` "
        "with the organisation's ETag. Audited; publishes `organisation.rejected`."
    ),
    response_model=OrganisationOut,
)
async def reject(
    org_id: Uuid, body: RejectIn, request: Request,
    actor: Actor = Depends(require_roles(*VERIFIERS)), runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        row = await reject_organisation(session, actor, org_id, body.reason,
                                        check_version=lambda version: check_if_match(request, version))
    return _answer(row)
