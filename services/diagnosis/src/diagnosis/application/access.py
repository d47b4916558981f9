"""Diagnosis's access policy (``domain.access``) applied: resources described for single decisions, the same
scopes as SQL conditions for lists, and the facts the filler rules need (consents, assignments). Reads and
lists agree because both start from the one scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.access_sql import Attribute, where
from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError

from ..adapters.assessment_tables import assessments, consents
from ..adapters.project_tables import diagnosis_projects
from ..adapters.readmodels import known_organisations, pilot_pool
from ..domain import access as policy
from ..domain.access import DISTRICT, ENTERPRISE, FILLED_BY, GRANTEE, KIND, PROVIDER, STATE


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


ASSESSMENT_COLUMNS: dict[str, Attribute] = {
    ENTERPRISE: assessments.c.enterprise_id, DISTRICT: assessments.c.district, STATE: assessments.c.state,
    KIND: assessments.c.kind, FILLED_BY: assessments.c.filled_by_org,
}
PROJECT_COLUMNS: dict[str, Attribute] = {
    ENTERPRISE: diagnosis_projects.c.enterprise_id, DISTRICT: diagnosis_projects.c.district,
    PROVIDER: diagnosis_projects.c.provider_id,
}
CONSENT_COLUMNS: dict[str, Attribute] = {ENTERPRISE: consents.c.enterprise_id, GRANTEE: consents.c.organisation_id}


def assessment_resource(row: Mapping[str, Any]) -> dict[str, Any]:
    return {ENTERPRISE: row["enterprise_id"], DISTRICT: row["district"], STATE: row["state"], KIND: row["kind"],
            FILLED_BY: row["filled_by_org"]}


def project_resource(row: Mapping[str, Any]) -> dict[str, Any]:
    return {ENTERPRISE: row["enterprise_id"], DISTRICT: row["district"], PROVIDER: row["provider_id"]}


def consent_resource(row: Mapping[str, Any]) -> dict[str, Any]:
    return {ENTERPRISE: row["enterprise_id"], GRANTEE: row["organisation_id"]}


def visibility(actor: Actor) -> ColumnElement[bool]:
    """The condition on ``assessments`` rows the actor may see."""
    return where(policy.assessments(actor), ASSESSMENT_COLUMNS)


def ensure(scope: Scope, resource: Mapping[str, Any], refusal: DomainError) -> None:
    """Raise ``refusal`` unless the scope admits the resource."""
    if not scope.admits(resource):
        raise refusal


def visible_assessments(actor: Actor) -> Select[Any]:
    """Visible rows, each with ``in_pilot`` read in the same statement (submission needs it)."""
    return select(assessments, in_pilot(assessments.c.enterprise_id).label("in_pilot")).where(visibility(actor))
