"""The facts funding keeps from other services, and the facts an application's computation relies on.

Reactions (idempotent through the inbox; each keyed by the fact's own identity, so a redelivery rewrites the same
row): diagnosis's project completed (the fee paid under S0 三(三)) and assessment completed (the post-transformation
level, S2 四(一)1); evaluation's tier assigned (S2 四(二)2). The registry's organisations and titles are read models
(``adapters.readmodels``); a title's kind is a string (the jurisdiction's code).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, bindparam, distinct, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    DIAGNOSIS_PROJECT_COMPLETED,
    AssessmentCompleted,
    DiagnosisProjectCompleted,
)
from sihua_shared.contracts.evaluation import TIER_ASSIGNED, TierAssigned
from sihua_shared.events import CloudEvent

from ..adapters.funding_tables import diagnosis_completions, levels, tiers
from ..adapters.readmodels import known_titles, pilot_pool


async def record_diagnosis_completed(session: AsyncSession, envelope: CloudEvent, payload: DiagnosisProjectCompleted) -> None:
    values = {"project_id": payload.project_id, "enterprise_id": payload.enterprise_id, "provider_id": payload.provider_id,
              "completed_on": payload.completed_on, "fee_fen": payload.fee_fen, "level": payload.level}
    await session.execute(pg_insert(diagnosis_completions).values(**values).on_conflict_do_update(
        index_elements=["project_id"], set_=values))


async def record_assessment_completed(session: AsyncSession, envelope: CloudEvent, payload: AssessmentCompleted) -> None:
    values = {"assessment_id": payload.assessment_id, "enterprise_id": payload.enterprise_id, "stage": payload.stage,
              "level": payload.level, "official": payload.official_record is not False}
    await session.execute(pg_insert(levels).values(**values).on_conflict_do_update(index_elements=["assessment_id"], set_=values))


async def record_tier(session: AsyncSession, envelope: CloudEvent, payload: TierAssigned) -> None:
    values = {"cycle_id": payload.cycle_id, "provider_id": payload.provider_id, "year": payload.year, "tier": payload.tier,
              "model_version": payload.model_version}
    await session.execute(pg_insert(tiers).values(**values).on_conflict_do_update(
        index_elements=["cycle_id", "provider_id"], set_=values))


SUBSCRIPTIONS = [
    Subscription("funding", "diagnosis", [Reaction(DIAGNOSIS_PROJECT_COMPLETED, record_diagnosis_completed),
                                          Reaction(ASSESSMENT_COMPLETED, record_assessment_completed)]),
    Subscription("funding", "evaluation", [Reaction(TIER_ASSIGNED, record_tier)]),
]


def _facts_statement() -> Any:
    """Every fact kept for an applicant, a project and a date, in one statement (one round trip), built once."""
    applicant, project, on = bindparam("applicant_id"), bindparam("project_id"), bindparam("on", type_=Date)
    latest = (select(levels.c.level, levels.c.assessment_id).where(
        levels.c.enterprise_id == applicant, levels.c.stage == "post_transformation", levels.c.official.is_(True))
        .order_by(levels.c.recorded_at.desc(), levels.c.assessment_id.desc()).limit(1))
    tier = select(tiers.c.tier, tiers.c.model_version).where(tiers.c.provider_id == applicant, tiers.c.cycle_id == project).limit(1)
    titles = select(func.array_agg(distinct(known_titles.c.kind))).where(
        known_titles.c.organisation_id == applicant,
        or_(known_titles.c.valid_from.is_(None), known_titles.c.valid_from <= on),
        or_(known_titles.c.valid_until.is_(None), known_titles.c.valid_until >= on),
        or_(known_titles.c.revoked_on.is_(None), known_titles.c.revoked_on > on))
    pilot = select(pilot_pool.c.enrolled_on, pilot_pool.c.removed_on).where(pilot_pool.c.enterprise_id == applicant).limit(1)
    fee = select(diagnosis_completions.c.fee_fen, diagnosis_completions.c.completed_on).where(
        diagnosis_completions.c.project_id == project, diagnosis_completions.c.provider_id == applicant).limit(1)

    def one(query: Any, column: str) -> Any:
        return query.with_only_columns(query.selected_columns[column]).scalar_subquery().label(column)

    return select(one(latest, "level"), one(latest, "assessment_id"), one(tier, "tier"), one(tier, "model_version"),
                  titles.scalar_subquery().label("titles"), one(pilot, "enrolled_on"), one(pilot, "removed_on"),
                  one(fee, "fee_fen"), one(fee, "completed_on"))


_FACTS = _facts_statement()


async def gathered_facts(session: AsyncSession, applicant_id: str, project_id: str, on: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts kept for an applicant and project on a date, and the inputs they supply: membership of the city
    pilot pool (S2 四(一)1: 列入试点的中小企业), the latest official post-transformation level, the tier of the
    cycle named by the project id, the titles held, the fee of the diagnosis project named by the project id (when
    the applicant is its provider)."""
    facts: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    kept = (await session.execute(_FACTS, {"applicant_id": applicant_id, "project_id": project_id, "on": on})).one()
    if kept.level is not None:
        facts["level"] = int(kept.level)
        facts["level_assessment_id"] = kept.assessment_id
    if kept.tier is not None:
        facts["tier"] = kept.tier
        facts["tier_model_version"] = kept.model_version
    facts["titles"] = sorted(set(kept.titles or ()))
    facts["pilot"] = int(kept.enrolled_on is not None and kept.enrolled_on <= on
                         and (kept.removed_on is None or kept.removed_on > on))
    if kept.fee_fen is not None:
        inputs["diagnosis_fee_fen"] = int(kept.fee_fen)
        facts["diagnosis_completed_on"] = kept.completed_on.isoformat()
    return facts, inputs
