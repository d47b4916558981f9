"""Routes for the in-app inbox (站内消息)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.inputs import BigIntId
from sihua_shared.runtime import Runtime, get_runtime

from ..application.inbox import list_notifications
from ..application.inbox import mark_read as mark_notification_read
from ..domain.access import PEOPLE

router = APIRouter(prefix="/notifications", tags=["notifications 站内消息"])


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
    async with runtime.uow() as session:
        found, total = await list_notifications(session, actor, unread=unread, limit=page.limit, offset=page.offset)
    items = [NotificationOut.model_validate(r) for r in found]
    return Page(items=items, total=int(total), limit=page.limit, offset=page.offset)


@router.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    summary="标记已读 / Mark as read",
    description="Marks one of the signed-in account's notifications as read (repeating it changes nothing).",
)
async def mark_read(
    notification_id: BigIntId, actor: Actor = Depends(require_roles(*PEOPLE)), runtime: Runtime = Depends(get_runtime)
) -> NotificationOut:
    async with runtime.uow() as session:
        row = await mark_notification_read(session, actor, notification_id)
    return NotificationOut.model_validate(row)
