"""Routes for an application's evidence files (佐证材料) and the interest a bank's service client reports."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import versioned_json
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.storage import ATTACHMENT_DOWNLOAD

from ..application import applications as uc
from ..domain.access import APPLICANTS, READERS
from .schemas import ApplicationOut, EvidenceOut, InterestIn

router = APIRouter(tags=["applications 奖补申请"])


@router.post("/applications/{application_id}/evidence", status_code=201, response_model=EvidenceOut,
             summary="上传佐证材料 / Attach an evidence file",
             description=("Multipart: `file` and `kind` (e.g. bank_interest_statement, contract, invoice, acceptance_report). "
                          "The applicant attaches while the application is a draft or submitted; the type is read from the "
                          "content. Approval freezes the files' SHA-256."))
async def upload(
    application_id: Uuid, request: Request,
    file: UploadFile = File(..., description="佐证文件"),
    kind: Key = Form(..., max_length=50, description="材料类别"),
    actor: Actor = Depends(require_roles(*APPLICANTS)), runtime: Runtime = Depends(get_runtime),
) -> Response:
    data = await file.read()

    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            app = await uc.get_application(session, actor, application_id)
            item = await uc.attach_evidence(session, runtime.files, actor, app, kind=kind, filename=file.filename or "", data=data)
        return EvidenceOut.model_validate(item).model_dump(mode="json"), {"Location": f"{request.url.path}/{item['id']}"}

    return await runtime.idempotency.run(request, f"funding_evidence:{actor.id}", create)


@router.get("/applications/{application_id}/evidence", response_model=list[EvidenceOut],
            summary="佐证材料列表 / List evidence files", description="Visible to whoever sees the application.")
async def index(application_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
                runtime: Runtime = Depends(get_runtime)) -> list[EvidenceOut]:
    async with runtime.uow() as session:
        await uc.get_application(session, actor, application_id)
        return [EvidenceOut.model_validate(e) for e in await uc.list_evidence(session, application_id)]


@router.get("/applications/{application_id}/evidence/{evidence_id}", summary="下载佐证材料 / Download an evidence file",
            description="The file as uploaded.", response_class=Response, responses=ATTACHMENT_DOWNLOAD)
async def download(application_id: Uuid, evidence_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        await uc.get_application(session, actor, application_id)
        item = await uc.get_evidence(session, application_id, evidence_id)
    data = await runtime.files.get(item["storage_key"])
    return Response(data, media_type=item["content_type"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item['filename'])}"})


@router.post("/applications/{application_id}/reported-interest", response_model=ApplicationOut,
             summary="报告实际发生利息 / A bank's service client reports the interest paid",
             description=("A `service` client (the bank's interface) reports the interest actually paid for a 数字贷 "
                          "application (S2 四(一)1) that is submitted or reviewed; the computation then uses it in place "
                          "of the declared figure."))
async def reported_interest(application_id: Uuid, body: InterestIn, actor: Actor = Depends(require_roles("service")),
                            runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.report_interest(session, actor, application_id, amount_fen=body.actual_interest_paid_fen, source=body.source)
    return versioned_json(ApplicationOut, row)
