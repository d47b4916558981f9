"""Routes for the adaptation-verification library (适配验证库)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.inputs import Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import adaptations as uc
from ..domain.access import ADAPTATION_READERS, VERIFIERS
from .schemas import AdaptationIn, AdaptationOut, FileOut

router = APIRouter(tags=["adaptations 适配验证库"])


@router.post("/products/{product_id}/adaptations", status_code=201, response_model=AdaptationOut,
             summary="登记适配验证 / Record an adaptation verification",
             description="The third-party organisation records that an admitted product works with a platform, another "
             "product or a standard interface: what was tested, the cases and results, the validity date. Idempotency-Key.")
async def create(product_id: Uuid, body: AdaptationIn, request: Request, actor: Actor = Depends(require_roles(*VERIFIERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.record_verification(session, actor, product_id, body.model_dump(mode="json") | {
                "valid_until": body.valid_until})
        return AdaptationOut.model_validate(row).model_dump(mode="json"), {"Location": f"/adaptations/{row['id']}"}

    return await runtime.idempotency.run(request, f"adaptation:{actor.id}", make)


@router.get("/products/{product_id}/adaptations", response_model=list[AdaptationOut], summary="产品的适配验证记录 / "
            "A product's adaptation records", description="Valid and expired records; whoever sees the product, and the verifier.")
async def index(product_id: Uuid, actor: Actor = Depends(require_roles(*ADAPTATION_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> list[AdaptationOut]:
    async with runtime.uow() as session:
        return [AdaptationOut.model_validate(r) for r in await uc.list_records(session, actor, product_id)]


@router.post("/adaptations/{record_id}/evidence", status_code=201, response_model=FileOut,
             summary="上传适配验证佐证 / Attach evidence", description="Multipart `file`, by the verifying organisation.")
async def evidence(record_id: Uuid, request: Request, file: UploadFile = File(..., description="佐证文件"),
                   actor: Actor = Depends(require_roles(*VERIFIERS)), runtime: Runtime = Depends(get_runtime)) -> Response:
    data = await file.read()

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.attach_evidence(session, runtime.files, actor, record_id, filename=file.filename or "", data=data)
        return FileOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"adaptation-file:{actor.id}", make)
