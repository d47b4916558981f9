"""Stored results put to work: recomputation (officials) and the comparison of two assessments (the uplift)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Kind, conflict, invalid, invalid_all

from ..adapters.assessment_tables import assessments
from ..domain.comparison import compare_results
from ..domain.problems import AnswersInvalid
from ..domain.scoring import recompute
from .access import visibility
from .edition_cache import EDITIONS


def summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "kind": row["kind"], "stage": row["stage"], "level": row["level"],
        "level_name": (row["result"] or {}).get("level_name"), "total_milli": row["total_milli"],
        "edition_version": row["edition_version"], "official_record": row["official_record"],
        "submitted_at": row["submitted_at"].isoformat() if row["submitted_at"] else None,
    }


async def recompute_assessment(
    session: AsyncSession, row: dict[str, Any], edition_version: str | None
) -> dict[str, Any]:
    """Score the stored answers again (with the pinned edition, or another version to see what it would change).
    The stored result is never replaced: past results keep the edition they were scored with."""
    if row["state"] != "submitted":
        raise conflict("not_submitted", "评测尚未提交，无结果可重算", "the assessment has no result yet")
    version = edition_version or row["edition_version"]
    try:
        edition = await EDITIONS.get(session, version)
    except LookupError as exc:
        raise invalid("body.edition_version", f"没有指标版本 {version}", f"no edition {version}", "unknown_edition") from exc
    try:
        fresh, changed = recompute(edition, row["answers"], row["result"])
    except AnswersInvalid as exc:
        raise invalid_all("answers_invalid", f"已保存的答案不符合指标版本 {version}", f"the stored answers do not fit edition {version}",
                          [p.at("body") for p in exc.problems]) from exc
    return {
        "assessment_id": row["id"],
        "stored_edition_version": row["edition_version"],
        "edition_version": edition.version_id,
        "matches_stored": not changed,
        "changed": changed,
        "result": fresh.to_dict(),
        "comparison": compare_results(row["result"], fresh).to_dict(),
    }


async def _latest(session: AsyncSession, actor: Actor, enterprise_id: str, stage: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(assessments)
            .where(visibility(actor), assessments.c.enterprise_id == enterprise_id, assessments.c.state == "submitted",
                   assessments.c.stage == stage, assessments.c.official_record.is_(True))
            .order_by(assessments.c.submitted_at.desc())
            .limit(1)
        )
    ).mappings().first()
    return dict(row) if row else None


async def _one(session: AsyncSession, actor: Actor, enterprise_id: str, assessment_id: str, field: str) -> dict[str, Any]:
    row = (
        await session.execute(select(assessments).where(visibility(actor), assessments.c.id == assessment_id))
    ).mappings().first()
    if row is None or row["enterprise_id"] != enterprise_id or row["state"] != "submitted":
        raise invalid(f"query.{field}", "该评测不存在、不属于该企业或尚未提交",
                      "no submitted assessment of this enterprise with this id", "not_comparable")
    return dict(row)


async def compare_assessments(
    session: AsyncSession, actor: Actor, enterprise_id: str, before_id: str | None, after_id: str | None
) -> dict[str, Any]:
    """Two submitted assessments of one enterprise; by default its latest baseline and post-transformation records."""
    before = await _one(session, actor, enterprise_id, before_id, "before") if before_id else \
        await _latest(session, actor, enterprise_id, "baseline")
    after = await _one(session, actor, enterprise_id, after_id, "after") if after_id else \
        await _latest(session, actor, enterprise_id, "post_transformation")
    if before is None or after is None:
        missing = "before" if before is None else "after"
        raise DomainError("comparison_unavailable", "缺少可比较的改造前（基线）或改造后评测记录",
                          "no baseline or post-transformation record to compare", field=f"query.{missing}",
                          kind=Kind.NOT_FOUND, detail=f"no {missing} assessment to compare")
    return {
        "enterprise_id": enterprise_id,
        "before": summary(before),
        "after": summary(after),
        "comparison": compare_results(before["result"], after["result"]).to_dict(),
    }
