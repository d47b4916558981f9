"""Attachments of an application (申报材料): PDF, images, Office files, typed by their content, never their name.

The applicant adds and removes them while the application may be edited; whoever may see the application may list
and download them. The bytes go to the runtime's file store (local disk, or S3-compatible storage when configured).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Kind, invalid, not_found
from sihua_shared.inputs import clean_filename
from sihua_shared.storage import FileStore, sniff, store_in

from ..adapters.call_tables import application_attachments as attachments
from .call_applications import ensure_applicant, ensure_editable


def attachment_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "application_id", "material_code", "filename", "content_type", "size", "sha256", "created_at")}


async def add_attachment(
    session: AsyncSession, files: FileStore, actor: Actor, application: Mapping[str, Any], call: Mapping[str, Any], *,
    material_code: str, filename: str | None, data: bytes, max_bytes: int,
) -> dict[str, Any]:
    ensure_applicant(actor, application)
    ensure_editable(application)
    codes = [m["code"] for m in call["required_materials"]]
    if material_code not in codes:
        raise DomainError("unknown_material", "该征集没有这项申报材料", "the call asks for no such material", field="body.material_code",
                          detail=f"material {material_code!r} is not one of the call's: {', '.join(codes)}")
    if not data:
        raise invalid("body.file", "文件为空", "the file is empty", "empty_file")
    if len(data) > max_bytes:
        raise DomainError("file_too_large", f"文件超过 {max_bytes} 字节上限", f"the file exceeds {max_bytes} bytes", field="body.file",
                          kind=Kind.TOO_LARGE)
    content_type = sniff(data, field="body.file")
    attachment_id = str(uuid.uuid4())
    stored = await store_in(session, files, f"applications/{application['id']}/{attachment_id}", data, content_type)
    values = {"id": attachment_id, "application_id": application["id"], "material_code": material_code,
              "filename": clean_filename(filename), "content_type": content_type, "size": stored.size, "sha256": stored.sha256,
              "storage_key": stored.key, "uploaded_by": actor.id}
    row = (await session.execute(attachments.insert().values(**values).returning(attachments))).mappings().one()
    await audit(session, actor, "application.attachment.add", "application", application["id"], after=attachment_view(row))
    return dict(row)


async def list_attachments(session: AsyncSession, application_id: str) -> list[dict[str, Any]]:
    found = await session.execute(select(attachments).where(attachments.c.application_id == application_id)
                                  .order_by(attachments.c.created_at, attachments.c.id))
    return [dict(r) for r in found.mappings()]


async def find_attachment(session: AsyncSession, application_id: str, attachment_id: str) -> dict[str, Any]:
    row = (await session.execute(select(attachments).where(attachments.c.id == attachment_id,
                                                           attachments.c.application_id == application_id))).mappings().first()
    if row is None:
        raise not_found("attachment", attachment_id)
    return dict(row)


async def remove_attachment(session: AsyncSession, actor: Actor, application: Mapping[str, Any], attachment_id: str) -> dict[str, Any]:
    """The row goes in this transaction; the caller deletes the stored bytes after commit."""
    ensure_applicant(actor, application)
    ensure_editable(application)
    row = await find_attachment(session, application["id"], attachment_id)
    await session.execute(delete(attachments).where(attachments.c.id == attachment_id))
    await audit(session, actor, "application.attachment.remove", "application", application["id"], before=attachment_view(row))
    return row
