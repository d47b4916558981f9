"""Use cases on organisations. They take a session and never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, OrganisationRegistered
from sihua_shared.outbox import record_event
from sihua_shared.problems import ProblemError, field_error

from ..adapters.tables import organisations


async def register_organisation(
    session: AsyncSession, actor: Actor, profile: dict[str, Any], *, namespace: str = ""
) -> dict[str, Any]:
    org_id = str(uuid.uuid4())
    row = {"id": org_id, **profile, "version": 1}
    inserted = await session.execute(
        pg_insert(organisations).values(**row).on_conflict_do_nothing(index_elements=["uscc"]).returning(organisations.c.id)
    )
    if inserted.first() is None:
        raise ProblemError(
            409,
            "uscc_taken",
            f"an organisation with USCC {profile['uscc']} is already registered",
            errors=[field_error("body.uscc", "该统一社会信用代码已登记", "this USCC is already registered")],
        )
    payload = OrganisationRegistered(organisation_id=org_id, **profile)
    await record_event(
        session, ORGANISATION_REGISTERED, payload, subject=org_id, aggregate_version=1, namespace=namespace
    )
    await audit(session, actor, "organisation.register", "organisation", org_id, after=row)
    return row


async def get_organisation(session: AsyncSession, org_id: str) -> dict[str, Any] | None:
    result = await session.execute(select(organisations).where(organisations.c.id == org_id))
    found = result.mappings().first()
    return dict(found) if found else None
