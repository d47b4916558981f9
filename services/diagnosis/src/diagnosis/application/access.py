"""Who may see and fill assessments: the object-level rules, as queries and checks.

Visibility: an enterprise sees its own assessments (drafts too); a provider or third-party organisation
those it fills; officials, auditors and experts submitted ones by role and district (a city officer or
auditor every district, a district officer or a district-bound expert their district). An actor holding
several roles sees the union.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor

from ..adapters.assessment_tables import assessments, consents
from ..adapters.project_tables import diagnosis_projects
from ..adapters.readmodels import known_organisations, pilot_pool
from ..domain.assessments import FILLER_ROLES


async def organisation(session: AsyncSession, organisation_id: str) -> dict[str, Any] | None:
    """The organisation as the registry's facts describe it (read model), or None when unknown."""
    row = (
        await session.execute(select(known_organisations).where(known_organisations.c.organisation_id == organisation_id))
    ).mappings().first()
    return dict(row) if row else None


async def has_consent(session: AsyncSession, enterprise_id: str, organisation_id: str | None) -> bool:
    if not organisation_id:
        return False
    query = select(exists().where(
        consents.c.enterprise_id == enterprise_id,
        consents.c.organisation_id == organisation_id,
        consents.c.revoked_at.is_(None),
    ))
    return bool((await session.execute(query)).scalar_one())


async def is_assigned_provider(session: AsyncSession, enterprise_id: str, organisation_id: str | None) -> bool:
    """The organisation holds the enterprise's open diagnosis project."""
    if not organisation_id:
        return False
    query = select(exists().where(
        diagnosis_projects.c.enterprise_id == enterprise_id,
        diagnosis_projects.c.provider_id == organisation_id,
        diagnosis_projects.c.state == "assigned",
    ))
    return bool((await session.execute(query)).scalar_one())


def in_pilot(enterprise_id: Any) -> ColumnElement[bool]:
    """Enrolled in the city pilot and not removed (registry's pilot-pool facts)."""
    return exists().where(
        pilot_pool.c.enterprise_id == enterprise_id,
        pilot_pool.c.enrolled_on.is_not(None),
        pilot_pool.c.removed_on.is_(None),
    )


def visibility(actor: Actor) -> ColumnElement[bool]:
    """The condition on ``assessments`` rows the actor may see."""
    submitted = assessments.c.state == "submitted"
    seen: list[ColumnElement[bool]] = []
    if actor.has("city_officer", "auditor"):
        seen.append(submitted)
    if actor.has("district_officer") and actor.district:
        seen.append(and_(submitted, assessments.c.district == actor.district))
    if actor.has("expert"):
        seen.append(and_(submitted, assessments.c.district == actor.district) if actor.district else submitted)
    if actor.org and actor.has(*FILLER_ROLES):
        seen.append(assessments.c.filled_by_org == actor.org)
    if actor.org and actor.has("enterprise"):
        seen.append(assessments.c.enterprise_id == actor.org)
    return or_(*seen) if seen else false()


def visible_assessments(actor: Actor) -> Select[Any]:
    """Visible rows, each with ``in_pilot`` read in the same statement (submission needs it)."""
    return select(assessments, in_pilot(assessments.c.enterprise_id).label("in_pilot")).where(visibility(actor))


def may_fill(actor: Actor, row: dict[str, Any]) -> bool:
    """Answers, evidence and submission: the filling organisation; for a self-assessment also the enterprise."""
    if not actor.org:
        return False
    if row["filled_by_org"] and actor.org == row["filled_by_org"] and actor.has(*FILLER_ROLES):
        return True
    return row["kind"] == "self" and actor.org == row["enterprise_id"] and actor.has("enterprise")
