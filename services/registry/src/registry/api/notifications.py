"""Routes for the in-app inbox (站内消息)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select, update

from sihua_shared.auth import ROLES, Actor, require_roles
from sihua_shared.errors import not_found
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.runtime import Runtime, get_runtime

from ..adapters.notification_tables import notifications

router = APIRouter(prefix="/notifications", tags=["notifications 站内消息"])
PEOPLE = tuple(r for r in ROLES if r != "service")


class NotificationOut(BaseModel):
    id: int
    kind: str
    title_zh: str
    body_zh: str
    ref_type: str | None
    ref_id: str | None
    created_at: datetime
    read_at: datetime | None
    email_status: str


@router.get(
    "",
    response_model=Page[NotificationOut],
    summary="我的消息 / My notifications",
    description=(
        "The signed-in account's inbox, newest first: returned applications, review tasks, objections, "
        "decisions, titles, reminders."
    ),
)
async def inbox(
    unread: bool = Query(False, description="只看未读 / unread only"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*PEOPLE)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[NotificationOut]:
    condition = notifications.c.account_id == actor.id
    if unread:
        condition = condition & notifications.c.read_at.is_(None)
    async with runtime.uow() as session:
        total = (await session.execute(select(func.count()).select_from(notifications).where(condition))).scalar_one()
        found = (
            await session.execute(
                select(notifications).where(condition).order_by(notifications.c.id.desc()).limit(page.limit).offset(page.offset)
            )
        ).mappings()
        items = [NotificationOut.model_validate(dict(r)) for r in found]
    return Page(items=items, total=int(total), limit=page.limit, offset=page.offset)


@router.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    summary="标记已读 / Mark as read",
    description="Marks one of the signed-in account's notifications as read (repeating it changes nothing).",
)
async def mark_read(
    notification_id: int, actor: Actor = Depends(require_roles(*PEOPLE)), runtime: Runtime = Depends(get_runtime)
) -> NotificationOut:
    async with runtime.uow() as session:
        mine = (notifications.c.id == notification_id) & (notifications.c.account_id == actor.id)
        await session.execute(
            update(notifications).where(mine & notifications.c.read_at.is_(None)).values(read_at=func.now())
        )
        row = (await session.execute(select(notifications).where(mine))).mappings().first()
    if row is None:
        raise not_found("notification", str(notification_id))
    return NotificationOut.model_validate(dict(row))
