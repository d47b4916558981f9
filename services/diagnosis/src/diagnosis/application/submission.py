"""Submitting an assessment: the authenticity commitment, exact scoring with the pinned edition, the facts.

Scoring happens in the request (well under a millisecond); the report is built later by the worker.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    ASSESSMENT_SUBMITTED,
    AssessmentCompleted,
    AssessmentSubmitted,
)
from sihua_shared.errors import invalid, invalid_all
from sihua_shared.outbox import record_event

from ..domain.assessments import official_record, transition
from ..domain.problems import AnswersInvalid
from ..domain.scoring import AssessmentResult, score_assessment
from .assessments import check_filler_standing, update_guarded
from .edition_cache import EDITIONS
from .verification_facts import assessment_counts


def _gap(result: AssessmentResult) -> dict[str, int | None] | None:
    gap = result.next_level_gap
    return None if gap is None else gap.model_dump()


async def submit_assessment(
    session: AsyncSession, actor: Actor, row: dict[str, Any], *, commitment: bool
) -> dict[str, Any]:
    state = transition(row["state"], "submit")
    if not commitment:
        raise invalid("body.authenticity_commitment", "提交前须作出真实性承诺（承诺所填信息真实、准确）",
                      "the authenticity commitment (真实性承诺) is required to submit", "authenticity_commitment_required")
    await check_filler_standing(session, actor, row)  # the consent or assignment must still stand
    edition = await EDITIONS.get(session, row["edition_version"])
    try:
        result = score_assessment(edition, row["answers"])
    except AnswersInvalid as exc:
        raise invalid_all("answers_incomplete", "答案不完整或无效，未提交",
                          "the answers are not complete or not valid; nothing was submitted",
                          [p.at("body") for p in exc.problems]) from exc
    pilot = bool(row["in_pilot"])  # read with the row (access.visible_assessments)
    counting = await assessment_counts(session, row["enterprise_id"])  # practice while the enterprise is unverified
    official = official_record(row["kind"], pilot, counting)
    stored = result.to_dict()
    submitted_row = await update_guarded(
        session, row, state=state, result=stored, level=result.level, total_milli=result.total_milli, pilot=pilot,
        official_record=official, counts=counting, submitted_by=actor.id, submitted_at=business_clock(session).now(),
    )
    await EDITIONS.mark_used(session, edition.version_id)
    version = submitted_row["version"]
    common = {
        "assessment_id": row["id"], "enterprise_id": row["enterprise_id"], "uscc": row["uscc"], "kind": row["kind"],
        "stage": row["stage"], "edition_id": row["edition_id"], "edition_version": edition.version_id,
        "official_record": official, "counts": counting,
    }
    submitted = AssessmentSubmitted(**common, submitted_by_account_id=actor.id, filled_by_organisation_id=row["filled_by_org"])
    completed = AssessmentCompleted(
        **common, level=result.level, level_by_score=result.level_by_score, level_by_scenes=result.level_by_scenes,
        total_milli=result.total_milli, dimension_milli=result.dimension_milli, scene_levels=result.scene_levels,
        weakest_scenes=result.weakest_scenes, level_name=result.level_name, max_milli=result.max_milli,
        next_level_gap=_gap(result), filled_by_organisation_id=row["filled_by_org"],
    )
    await record_event(session, ASSESSMENT_SUBMITTED, submitted, subject=row["id"], aggregate_version=version)
    await record_event(session, ASSESSMENT_COMPLETED, completed, subject=row["id"], aggregate_version=version)
    await audit(session, actor, "assessment.submit", "assessment", row["id"],
                before={"state": row["state"], "version": row["version"]},
                after={"state": state, "version": version, "level": result.level, "total_milli": result.total_milli,
                       "official_record": official, "counts": counting, "pilot": pilot, "edition_version": edition.version_id,
                       "authenticity_commitment": True})
    return submitted_row
