"""Routes for funding policies (资金政策) as versioned data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.clock import business_clock
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.inputs import Key
from sihua_shared.runtime import Runtime, get_runtime

from ..application.policies import get_version, list_versions, upload_version
from ..domain.access import POLICY_MANAGERS, POLICY_READERS
from .schemas import PolicyOut, UploadIn

router = APIRouter(prefix="/policies", tags=["policies 资金政策"])


@router.get("", response_model=Page[PolicyOut], summary="资金政策版本列表 / List policy versions",
            description="Every stored version of this jurisdiction's policies, with its status today, measures and readings.")
async def index(
    policy_id: Key | None = Query(None, max_length=100, description="只看某项政策"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*POLICY_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[PolicyOut]:
    async with runtime.uow() as session:
        items, total = await list_versions(session, runtime.settings.jurisdiction, policy_id=policy_id, limit=page.limit,
                                           offset=page.offset, on=business_clock(session).today())
    return Page(items=[PolicyOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{version_id}", response_model=PolicyOut, summary="查看资金政策版本 / Get a policy version",
            description="One version: document number, status, validity, tax basis, every measure with its clause and parameters.")
async def read(
    version_id: str, actor: Actor = Depends(require_roles(*POLICY_READERS)), runtime: Runtime = Depends(get_runtime)
) -> PolicyOut:
    async with runtime.uow() as session:
        row = await get_version(session, runtime.settings.jurisdiction, version_id, business_clock(session).today())
    return PolicyOut.model_validate(row)


@router.post("", status_code=201, response_model=PolicyOut, summary="上传资金政策新版本 / Upload a policy version",
             description=("City officers upload a new version (YAML, validated on load; errors name their path). Applications "
                          "dated on or after its effective_from use it; decisions keep the version they used. Publishes "
                          "`funding.policy.version_activated`."))
async def upload(
    body: UploadIn, request: Request, actor: Actor = Depends(require_roles(*POLICY_MANAGERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await upload_version(session, actor, body.yaml_text, runtime.settings.jurisdiction)
            out = await get_version(session, runtime.settings.jurisdiction, row["version_id"], business_clock(session).today())
        return PolicyOut.model_validate(out).model_dump(mode="json"), {"Location": f"{request.url.path}/{row['version_id']}"}

    return await runtime.idempotency.run(request, f"funding_policy:{actor.id}", create)
