"""Use cases on the in-app inbox (站内消息): an account reads its own notifications and marks them read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.auth import Actor
from sihua_shared.errors import not_found

from ..adapters.notification_tables import notifications
from ..domain import access as policy
from .access import NOTIFICATION_COLUMNS


async def list_notifications(
    session: AsyncSession, actor: Actor, *, unread: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The actor's notifications, newest first."""
    condition = where(policy.notifications(actor), NOTIFICATION_COLUMNS)
    if unread:
        condition = condition & notifications.c.read_at.is_(None)
    total = (await session.execute(select(func.count()).select_from(notifications).where(condition))).scalar_one()
    found = await session.execute(
        select(notifications).where(condition).order_by(notifications.c.id.desc()).limit(limit).offset(offset)
    )
    return [dict(r) for r in found.mappings()], int(total)


async def mark_read(session: AsyncSession, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of the actor's notifications read (repeating it changes nothing); another's is not found."""
    mine = (notifications.c.id == notification_id) & where(policy.notifications(actor), NOTIFICATION_COLUMNS)
    await session.execute(update(notifications).where(mine & notifications.c.read_at.is_(None)).values(read_at=func.now()))
    row = (await session.execute(select(notifications).where(mine))).mappings().first()
    if row is None:
        raise not_found("notification", str(notification_id))
    return dict(row)
