"""Consents (授权): an enterprise lets a provider or the third-party organisation assess on its behalf."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.diagnosis import CONSENT_GRANTED, CONSENT_REVOKED, ConsentGranted, ConsentRevoked
from sihua_shared.errors import conflict, forbidden, invalid, not_found, transition_not_allowed
from sihua_shared.outbox import record_event

from ..adapters.assessment_tables import consents
from ..domain import access as policy
from .access import CONSENT_COLUMNS, consent_resource, ensure, organisation


async def grant_consent(session: AsyncSession, actor: Actor, organisation_id: str) -> dict[str, Any]:
    enterprise_id = str(actor.org)
    grantee = await organisation(session, organisation_id)
    if grantee is None or grantee["kind"] == "enterprise" or organisation_id == enterprise_id:
        raise invalid("body.organisation_id", "未找到该服务机构（需为已登记的服务商或第三方机构）",
                      "no known provider or third-party organisation with this id", "unknown_organisation")
    standing = (
        await session.execute(select(consents.c.id).where(
            consents.c.enterprise_id == enterprise_id, consents.c.organisation_id == organisation_id, consents.c.revoked_at.is_(None)
        ))
    ).scalar_one_or_none()
    if standing is not None:
        raise conflict("consent_exists", "已向该机构授权", "a consent to this organisation stands already",
                       field="body.organisation_id", consent_id=standing)
    row: dict[str, Any] = {"id": str(uuid.uuid4()), "enterprise_id": enterprise_id, "organisation_id": organisation_id,
                           "granted_by": actor.id, "granted_at": business_clock(session).now()}
    await session.execute(consents.insert().values(**row))
    granted = ConsentGranted(consent_id=row["id"], enterprise_id=enterprise_id, organisation_id=organisation_id,
                             granted_by_account_id=actor.id)
    await record_event(session, CONSENT_GRANTED, granted, subject=row["id"], aggregate_version=1)
    await audit(session, actor, "consent.grant", "consent", row["id"], after=row)
    return await get_consent(session, actor, row["id"])


def _visible(actor: Actor) -> Any:
    return select(consents).where(where(policy.consents(actor), CONSENT_COLUMNS))


async def get_consent(session: AsyncSession, actor: Actor, consent_id: str) -> dict[str, Any]:
    row = (await session.execute(_visible(actor).where(consents.c.id == consent_id))).mappings().first()
    if row is None:
        raise not_found("consent", consent_id)
    return dict(row)


async def list_consents(session: AsyncSession, actor: Actor, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = _visible(actor)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(consents.c.granted_at.desc()).limit(limit).offset(offset))).mappings()
    return [dict(r) for r in rows], int(total)


async def revocable_consent(session: AsyncSession, actor: Actor, consent_id: str) -> dict[str, Any]:
    """The consent, when the actor is the enterprise that granted it (403 for the grantee or an official)."""
    row = await get_consent(session, actor, consent_id)
    ensure(policy.consent_revokers(actor), consent_resource(row),
           forbidden("只有授权企业可以撤销授权", "only the enterprise that granted it revokes a consent"))
    return row


async def revoke_consent(session: AsyncSession, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """The enterprise withdraws a consent; assessments already started stay, new ones and submissions stop."""
    if row["revoked_at"] is not None:
        raise transition_not_allowed("consent", "revoked", "revoke", [])
    await session.execute(
        update(consents).where(consents.c.id == row["id"])
        .values(revoked_at=business_clock(session).now(), revoked_by=actor.id, version=consents.c.version + 1)
    )
    after = await get_consent(session, actor, row["id"])
    revoked = ConsentRevoked(consent_id=row["id"], enterprise_id=row["enterprise_id"], organisation_id=row["organisation_id"],
                             revoked_by_account_id=actor.id)
    await record_event(session, CONSENT_REVOKED, revoked, subject=row["id"], aggregate_version=after["version"])
    await audit(session, actor, "consent.revoke", "consent", row["id"], before=row, after=after)
    return after
