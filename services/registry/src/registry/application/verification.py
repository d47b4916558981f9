"""Verifying or rejecting an organisation that signed itself up (domain.verification). Takes a session, never commits.

``verify_organisation`` is the one place an organisation becomes verified: by a district officer of its district or a
city officer (through the access policy), or by the system when the province's enterprise identity service vouches
for its USCC (``verified_by="external_identity"``, the token exchange). Each step is audited and published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock, now_utc
from sihua_shared.contracts.registry import (
    ORGANISATION_REJECTED,
    ORGANISATION_VERIFIED,
    OrganisationRejected,
    OrganisationVerified,
)
from sihua_shared.errors import DomainError, forbidden, not_found
from sihua_shared.outbox import record_event

from ..adapters.tables import organisations
from ..domain import access as policy
from ..domain.verification import Verification, VerificationAction, VerifiedBy, verification_actions, verification_step
from .access import ensure, not_owner, organisation_resource
from .organisations import get_organisation

# The actor of automatic verifications in the audit trail, when the caller has none of its own.
EXTERNAL_IDENTITY = Actor(id="external-identity", org=None, roles=frozenset())


def _not_in_charge() -> DomainError:
    return forbidden("只有所在区的区级主管部门或市级主管部门可以核验该单位",
                     "only an officer of the organisation's district, or a city officer, verifies it",
                     code="not_in_charge")


async def _organisation_to_decide(session: AsyncSession, actor: Actor, organisation_id: str) -> dict[str, Any]:
    """The organisation, locked; 404 when the actor does not see it, 403 when it sees it but is not in charge."""
    row = await get_organisation(session, organisation_id, lock=True)
    if row is None:
        raise not_found("organisation", organisation_id)
    resource = organisation_resource(row)
    ensure(policy.organisations(actor), resource, not_owner())
    ensure(policy.verifiers(actor), resource, _not_in_charge())
    return row


def allowed_verification_actions(actor: Actor, row: dict[str, Any]) -> list[str]:
    """What ``actor`` may do to the organisation's verification now."""
    if not policy.verifiers(actor).admits(organisation_resource(row)):
        return []
    return [str(a) for a in verification_actions(row["verification"])]


async def verify_organisation(
    session: AsyncSession,
    actor: Actor,
    organisation_id: str,
    *,
    verified_by: VerifiedBy | None = None,
    check_version: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Mark an unverified (or rejected) organisation verified; publishes ``organisation.verified``.

    - Officials: ``verified_by`` is left out (it follows the actor: ``city_officer`` or ``district_officer``); the
      access policy decides (404 not visible, 403 not in charge), then ``check_version`` (412), then the step (409
      when already verified).
    - The system (token exchange): ``verified_by="external_identity"`` with any actor (``EXTERNAL_IDENTITY`` by
      default); no policy check, no version check; an organisation already verified is returned unchanged.
    """
    if verified_by == "external_identity":
        row = await get_organisation(session, organisation_id, lock=True)
        if row is None:
            raise not_found("organisation", organisation_id)
        if row["verification"] == Verification.VERIFIED:
            return row
    else:
        row = await _organisation_to_decide(session, actor, organisation_id)
        verified_by = "city_officer" if actor.is_city else "district_officer"
        if check_version is not None:
            check_version(row["version"])
    verification_step(row["verification"], VerificationAction.VERIFY)
    today = business_clock(session).today()
    after = await _decide(session, organisation_id, verification=Verification.VERIFIED.value, verified_by=verified_by,
                          verification_decided_on=today, verification_decided_by=actor.id, rejection_reason=None)
    fact = OrganisationVerified(
        organisation_id=organisation_id, uscc=after["uscc"], kind=after["kind"], district=after["district"],
        verified_by=verified_by, verified_on=today, version=after["version"],
    )
    await record_event(session, ORGANISATION_VERIFIED, fact, subject=organisation_id, aggregate_version=after["version"])
    await audit(session, actor, "organisation.verify", "organisation", organisation_id,
                before=_state(row), after=_state(after))
    return after


async def reject_organisation(
    session: AsyncSession,
    actor: Actor,
    organisation_id: str,
    reason: str,
    *,
    check_version: Callable[[int], None],
) -> dict[str, Any]:
    """Reject an unverified organisation with a reason; publishes ``organisation.rejected``."""
    row = await _organisation_to_decide(session, actor, organisation_id)
    check_version(row["version"])
    verification_step(row["verification"], VerificationAction.REJECT, reason=reason)
    today = business_clock(session).today()
    after = await _decide(session, organisation_id, verification=Verification.REJECTED.value, verified_by=None,
                          verification_decided_on=today, verification_decided_by=actor.id, rejection_reason=reason.strip())
    fact = OrganisationRejected(organisation_id=organisation_id, uscc=after["uscc"], reason=after["rejection_reason"],
                                rejected_on=today, version=after["version"])
    await record_event(session, ORGANISATION_REJECTED, fact, subject=organisation_id, aggregate_version=after["version"])
    await audit(session, actor, "organisation.reject", "organisation", organisation_id,
                before=_state(row), after=_state(after))
    return after


async def _decide(session: AsyncSession, organisation_id: str, **values: Any) -> dict[str, Any]:
    changed = await session.execute(
        update(organisations)
        .where(organisations.c.id == organisation_id)
        .values(**values, version=organisations.c.version + 1, updated_at=now_utc())
        .returning(organisations)
    )
    return dict(changed.mappings().one())


def _state(row: dict[str, Any]) -> dict[str, Any]:
    decided = row.get("verification_decided_on")
    return {"verification": row["verification"], "verified_by": row.get("verified_by"),
            "verification_decided_on": decided.isoformat() if decided else None,
            "rejection_reason": row.get("rejection_reason"), "version": row["version"]}
