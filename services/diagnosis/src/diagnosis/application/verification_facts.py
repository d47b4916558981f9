"""The verification status of registry organisations, kept from the registry's facts, and what it means here: an
unverified (or rejected) enterprise's assessments are practice — scored and reported, but they do not count
(``counts: false`` on ``assessment.completed``: never an official record, never a basis for matching or money).

Facts may arrive out of order: each carries the organisation's version, and an older one never overwrites a newer
one (``VersionedUpsert``). An organisation no fact has told about counts, as before verification existed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.registry import (
    ORGANISATION_REGISTERED,
    ORGANISATION_REJECTED,
    ORGANISATION_UPDATED,
    ORGANISATION_VERIFIED,
    OrganisationRegistered,
    OrganisationRejected,
    OrganisationUpdated,
    OrganisationVerified,
)
from sihua_shared.events import CloudEvent
from sihua_shared.readmodels import VersionedUpsert, fact_version

from ..adapters.readmodels import organisation_verification
from ..domain.assessments import counts

_UPSERT = VersionedUpsert(organisation_verification, "organisation_id", ("verification",))


async def _record(session: AsyncSession, envelope: CloudEvent,
                  payload: OrganisationRegistered | OrganisationUpdated | OrganisationVerified | OrganisationRejected) -> None:
    if isinstance(payload, OrganisationVerified):
        status = "verified"
    elif isinstance(payload, OrganisationRejected):
        status = "rejected"
    else:
        status = payload.verification or "verified"  # none: registered by an official
    await _UPSERT.apply(session, {"organisation_id": payload.organisation_id, "verification": status},
                        fact_version(envelope, payload))


def verification_subscription(consumer: str = "diagnosis") -> Subscription:
    return Subscription(consumer, "registry", [
        Reaction(spec, _record)
        for spec in (ORGANISATION_REGISTERED, ORGANISATION_UPDATED, ORGANISATION_VERIFIED, ORGANISATION_REJECTED)
    ])


async def verification_of(session: AsyncSession, organisation_id: str) -> str | None:
    found = await session.execute(
        select(organisation_verification.c.verification).where(organisation_verification.c.organisation_id == organisation_id)
    )
    return found.scalar_one_or_none()


async def assessment_counts(session: AsyncSession, enterprise_id: str) -> bool:
    """Whether the enterprise's assessments count now (read at submission, like pilot membership)."""
    return counts(await verification_of(session, enterprise_id))
