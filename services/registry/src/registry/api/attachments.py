"""Routes for an application's attachments (申报材料): upload (multipart), list, download, remove."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sihua_shared.auth import Actor, current_actor
from sihua_shared.inputs import Code, Uuid
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.storage import ATTACHMENT_DOWNLOAD

from ..application.attachments import add_attachment, attachment_view, find_attachment, list_attachments, remove_attachment
from ..application.call_applications import ensure_may_see, find_application
from ..application.calls import find_call
from .selection_deps import answer

router = APIRouter(tags=["applications 申报"])


class AttachmentOut(BaseModel):
    id: str
    application_id: str
    material_code: str
    filename: str
    content_type: str = Field(description="type read from the content, not the name")
    size: int
    sha256: str
    created_at: datetime


@router.post("/applications/{application_id}/attachments", status_code=201, response_model=AttachmentOut,
             summary="上传申报材料 / Upload an attachment",
             description="The applicant uploads a material named by the call (multipart: `material_code`, `file`) while the application "
                         "may be edited. PDF, images and Office files only, recognised by their content (415 otherwise); the size limit "
                         "is the service's upload limit (413).")
async def upload(
    application_id: Uuid, material_code: Code = Form(description="材料代码"), file: UploadFile = File(description="文件"),
    actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime),
) -> Response:
    limit = runtime.settings.max_upload_bytes
    data = await file.read(limit + 1)
    async with runtime.uow() as session:
        application = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, application)
        call = await find_call(session, application["call_id"])
        row = await add_attachment(session, runtime.files, actor, application, call, material_code=material_code,
                                   filename=file.filename, data=data, max_bytes=limit)
    return answer(AttachmentOut, attachment_view(row), 201)


@router.get("/applications/{application_id}/attachments", response_model=list[AttachmentOut], summary="申报材料列表 / List attachments",
            description="Whoever may see the application.")
async def index(
    application_id: Uuid, actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)
) -> list[dict[str, Any]]:
    async with runtime.uow() as session:
        application = await find_application(session, application_id)
        await ensure_may_see(session, actor, application)
        rows = await list_attachments(session, application_id)
    return [AttachmentOut.model_validate(attachment_view(r)).model_dump(mode="json") for r in rows]


@router.get("/applications/{application_id}/attachments/{attachment_id}", summary="下载申报材料 / Download an attachment",
            description="Whoever may see the application; answered with the type found in the content.",
            response_class=Response, responses=ATTACHMENT_DOWNLOAD)
async def download(application_id: Uuid, attachment_id: Uuid, actor: Actor = Depends(current_actor),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        application = await find_application(session, application_id)
        await ensure_may_see(session, actor, application)
        row = await find_attachment(session, application_id, attachment_id)
    data = await runtime.files.get(row["storage_key"])
    disposition = f"attachment; filename=\"attachment\"; filename*=UTF-8''{quote(row['filename'])}"
    return Response(data, media_type=row["content_type"], headers={"Content-Disposition": disposition,
                                                                    "X-Content-Type-Options": "nosniff"})


@router.delete("/applications/{application_id}/attachments/{attachment_id}", status_code=204, summary="删除申报材料 / Remove an attachment",
               description="The applicant removes a material while the application may be edited.")
async def remove(application_id: Uuid, attachment_id: Uuid, actor: Actor = Depends(current_actor),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        application = await find_application(session, application_id, lock=True)
        await ensure_may_see(session, actor, application)
        row = await remove_attachment(session, actor, application, attachment_id)
    await runtime.files.delete(row["storage_key"])  # after commit: a failed delete leaves an orphan file, never a dangling row
    return Response(status_code=204)
