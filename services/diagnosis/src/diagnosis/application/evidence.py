"""Evidence files (佐证材料) attached to an item or a scene of a draft assessment.

The type is read from the content (magic bytes), never from the name; the file goes to the service's file
store under ``assessments/<id>/evidence/<evidence id>``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import invalid, not_found
from sihua_shared.inputs import clean_filename
from sihua_shared.storage import FileStore, sniff, store_in

from ..adapters.assessment_tables import evidence
from ..domain.assessments import transition
from .assessments import check_filler_standing
from .edition_cache import EDITIONS


async def attach_evidence(
    session: AsyncSession, files: FileStore, actor: Actor, row: dict[str, Any], *, target: str, filename: str, data: bytes
) -> dict[str, Any]:
    transition(row["state"], "attach_evidence")
    await check_filler_standing(session, actor, row)
    edition = await EDITIONS.get(session, row["edition_version"])
    if target not in edition.items and target not in edition.scenes:
        raise invalid("body.target", f"{target} 不是本版本指标中的题目或场景", f"{target} is no item or scene of the edition",
                      "unknown_target")
    if not data:
        raise invalid("body.file", "文件为空", "the file is empty", "empty_file")
    content_type = sniff(data, field="body.file")
    evidence_id = str(uuid.uuid4())
    stored = await store_in(session, files, f"assessments/{row['id']}/evidence/{evidence_id}", data, content_type)
    values = {
        "id": evidence_id, "assessment_id": row["id"], "target": target, "filename": clean_filename(filename, "evidence"),
        "content_type": content_type, "size": stored.size, "sha256": stored.sha256, "storage_key": stored.key,
        "uploaded_by": actor.id,
    }
    await session.execute(evidence.insert().values(**values))
    await audit(session, actor, "assessment.attach_evidence", "assessment", row["id"], after=values)
    return await get_evidence(session, row["id"], evidence_id)


async def list_evidence(session: AsyncSession, assessment_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(evidence).where(evidence.c.assessment_id == assessment_id).order_by(evidence.c.uploaded_at, evidence.c.id)
    )
    return [dict(r) for r in rows.mappings()]


async def get_evidence(session: AsyncSession, assessment_id: str, evidence_id: str) -> dict[str, Any]:
    row = (
        await session.execute(select(evidence).where(evidence.c.assessment_id == assessment_id, evidence.c.id == evidence_id))
    ).mappings().first()
    if row is None:
        raise not_found("evidence", evidence_id)
    return dict(row)
