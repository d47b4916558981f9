"""The append-only audit trail: who, when, what, before/after, correlation id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .auth import Actor
from .logging import correlation_id_var
from .tables import audit_log

SYSTEM = Actor(id="system", org=None, roles=frozenset({"service"}))


async def audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a state change in the caller's transaction."""
    await session.execute(
        insert(audit_log).values(
            actor_id=actor.id,
            actor_org=actor.org,
            actor_roles=sorted(actor.roles),
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before,
            after=after,
            correlation_id=correlation_id_var.get(),
        )
    )
