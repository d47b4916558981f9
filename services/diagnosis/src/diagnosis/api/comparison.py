"""Route for the comparison of two assessments of one enterprise (改造前后对比): the uplift."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from sihua_shared.auth import Actor, require_roles
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.results import compare_assessments
from ..domain.access import READERS

router = APIRouter(prefix="/enterprises", tags=["assessments 数字化水平评测"])


@router.get(
    "/{enterprise_id}/comparison",
    summary="改造前后对比 / Compare two assessments",
    description=(
        "Level, score, dimension, item and scene changes between two submitted assessments of the enterprise: `before` and "
        "`after` by id, or by default its latest baseline and latest post-transformation official records. Only "
        "assessments the caller may see are compared."
    ),
)
async def comparison(
    enterprise_id: Key,
    before: Uuid | None = Query(None, description="改造前评测 id（默认最近的基线记录）"),
    after: Uuid | None = Query(None, description="改造后评测 id（默认最近的改造后记录）"),
    actor: Actor = Depends(require_roles(*READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await compare_assessments(session, actor, enterprise_id, before, after)
