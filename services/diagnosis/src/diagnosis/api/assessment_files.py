"""Files of an assessment: evidence uploads (佐证材料) and the diagnosis report (JSON and PDF)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sihua_shared.auth import Actor, require_roles
from sihua_shared.errors import DomainError, Kind, forbidden
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.storage import ATTACHMENT_DOWNLOAD

from ..application.assessments import fillable_assessment, load_assessment
from ..application.evidence import attach_evidence, get_evidence, list_evidence
from ..application.reports import issued_report
from ..domain.access import FILLERS, READERS

router = APIRouter(prefix="/assessments", tags=["assessments 数字化水平评测"])


class EvidenceOut(BaseModel):
    id: str
    assessment_id: str
    target: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@router.post(
    "/{assessment_id}/evidence",
    status_code=201,
    response_model=EvidenceOut,
    summary="上传佐证材料 / Attach evidence to an item or scene",
    description="Multipart: `file` and `target` (an item such as Q3 or a scene such as S01 of the pinned edition). "
    "The type is read from the content: PDF, images, Office documents.",
)
async def upload(
    assessment_id: Uuid,
    request: Request,
    file: UploadFile = File(..., description="佐证文件"),
    target: Key = Form(..., max_length=20, description="题目或场景编号，如 Q3、S01"),
    actor: Actor = Depends(require_roles(*FILLERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    data = await file.read()

    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await fillable_assessment(session, actor, assessment_id, forbidden(
                "只有填报该评测的单位可以上传佐证材料", "only the organisation filling this assessment attaches evidence"))
            item = await attach_evidence(session, runtime.files, actor, row, target=target,
                                         filename=file.filename or "", data=data)
        return EvidenceOut.model_validate(item).model_dump(mode="json"), {"Location": f"{request.url.path}/{item['id']}"}

    return await runtime.idempotency.run(request, f"evidence:{actor.id}", create)


@router.get("/{assessment_id}/evidence", response_model=list[EvidenceOut], summary="佐证材料列表 / List evidence",
            description="Visible to whoever sees the assessment.")
async def index(
    assessment_id: Uuid, actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime)
) -> list[EvidenceOut]:
    async with runtime.uow() as session:
        await load_assessment(session, actor, assessment_id)
        return [EvidenceOut.model_validate(e) for e in await list_evidence(session, assessment_id)]


def _download(data: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/{assessment_id}/evidence/{evidence_id}", summary="下载佐证材料 / Download evidence",
            description="The file as uploaded.", response_class=Response, responses=ATTACHMENT_DOWNLOAD)
async def download(
    assessment_id: Uuid, evidence_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        await load_assessment(session, actor, assessment_id)
        item = await get_evidence(session, assessment_id, evidence_id)
    return _download(await runtime.files.get(item["storage_key"]), item["content_type"], item["filename"])


async def _report(runtime: Runtime, actor: Actor, assessment_id: str) -> dict[str, Any]:
    async with runtime.uow() as session:
        await load_assessment(session, actor, assessment_id)
        report = await issued_report(session, assessment_id)
    if report is None:
        raise DomainError("report_not_ready", "诊断报告尚未出具（提交后由系统生成）", "report not issued yet", field="path.assessment_id",
                          kind=Kind.NOT_FOUND, detail="the report has not been issued yet; it follows submission shortly")
    return report


@router.get(
    "/{assessment_id}/report",
    summary="诊断报告（JSON）/ The diagnosis report as JSON",
    description="The latest issued revision: enterprise, level and its meaning, dimension scores, scene levels against "
    "the next level's requirement, the gap, the weakest scenes and the transformation plan. Same visibility as the assessment.",
)
async def report(
    assessment_id: Uuid, actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    found = await _report(runtime, actor, assessment_id)
    body = {**found["content"], "assessment_id": assessment_id, "revision": found["issued_revision"],
            "pending_revision": found["revision"] if found["state"] == "pending" else None,
            "pdf_sha256": found["pdf_sha256"], "issued": found["issued_at"].isoformat()}
    return JSONResponse(body, headers={"ETag": f'"{found["issued_revision"]}"'})


@router.get(
    "/{assessment_id}/report.pdf",
    summary="诊断报告（PDF）/ The diagnosis report as PDF",
    description="A4, in Chinese, with the embedded Noto Sans CJK SC font (SIL OFL). Same visibility as the assessment.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def report_pdf(
    assessment_id: Uuid, actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    found = await _report(runtime, actor, assessment_id)
    data = await runtime.files.get(found["pdf_key"])
    response = _download(data, "application/pdf", f"诊断报告-{assessment_id}.pdf")
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace("attachment", "inline")
    return response
