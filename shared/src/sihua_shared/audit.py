"""The append-only audit trail: who, when, what, before/after, correlation id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .auth import Actor
from .logging import correlation_id_var
from .tables import audit_log

SYSTEM = Actor(id="system", org=None, roles=frozenset({"service"}))


def jsonable(value: Any) -> Any:
    """A value for a JSON column: dates and times as ISO 8601, money as exact strings, recursively."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


# One statement, its values as parameters: compiled once and found in SQLAlchemy's cache by identity, where a
# statement built with ``.values(...)`` is rebuilt and its cache key worked out again on every call.
_INSERT = insert(audit_log)


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
        _INSERT,
        {
            "actor_id": actor.id,
            "actor_org": actor.org,
            "actor_roles": sorted(actor.roles),
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "before": jsonable(before),
            "after": jsonable(after),
            "correlation_id": correlation_id_var.get(),
        },
    )
