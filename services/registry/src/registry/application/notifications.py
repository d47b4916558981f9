"""Notifications (站内消息) fed by events, reminders that fire when due, and e-mail when SMTP is configured.

Each fact notifies the people it concerns: the applicant organisation's accounts, the assigned expert,
the city officers who handle objections. A notice is written once per account and source (the inbox
makes redelivery harmless; the unique key makes a replay harmless too). E-mail is sent afterwards by
the worker from the table, so a retried event never mails twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sihua_shared.aio import sleep_or_stop
from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts import registry as facts
from sihua_shared.events import CloudEvent
from sihua_shared.logging import get_logger

from ..adapters.account_tables import accounts
from ..adapters.mailer import send_mail
from ..adapters.notification_tables import notifications, reminders

log = get_logger("registry.notifications")
REMIND_DAYS_BEFORE = 2
_DECISION = {"selected": "入选", "rejected": "未入选"}


async def organisation_accounts(session: AsyncSession, organisation_id: str) -> list[str]:
    found = await session.execute(
        select(accounts.c.id).where(accounts.c.organisation_id == organisation_id, accounts.c.active.is_(True))
    )
    return [r[0] for r in found]


async def city_officers(session: AsyncSession) -> list[str]:
    found = await session.execute(
        select(accounts.c.id).where(accounts.c.roles.contains(["city_officer"]), accounts.c.active.is_(True))
    )
    return [r[0] for r in found]


async def notify(
    session: AsyncSession,
    account_ids: list[str],
    *,
    kind: str,
    title: str,
    body: str,
    source_key: str,
    ref_type: str | None = None,
    ref_id: str | None = None,
) -> None:
    if not account_ids:
        return
    await session.execute(
        pg_insert(notifications)
        .values(
            [
                {"account_id": a, "kind": kind, "title_zh": title, "body_zh": body, "source_key": source_key,
                 "ref_type": ref_type, "ref_id": ref_id}
                for a in dict.fromkeys(account_ids)
            ]
        )
        .on_conflict_do_nothing(constraint="uq_notification_source")
    )


async def schedule_reminder(
    session: AsyncSession, account_id: str, *, kind: str, remind_on: date, title: str, body: str, ref_type: str, ref_id: str,
    rearm: bool = False,
) -> None:
    """One reminder per account, kind and reference. ``rearm`` brings back a cancelled one that has not fired (the task
    is open again, e.g. an application returned after it was submitted), with the new day and text."""
    statement = pg_insert(reminders).values(account_id=account_id, kind=kind, remind_on=remind_on, title_zh=title, body_zh=body,
                                            ref_type=ref_type, ref_id=ref_id)
    if rearm:
        await session.execute(statement.on_conflict_do_update(
            constraint="uq_reminder", set_={"remind_on": remind_on, "title_zh": title, "body_zh": body, "cancelled_at": None},
            where=reminders.c.fired_at.is_(None)))
    else:
        await session.execute(statement.on_conflict_do_nothing(constraint="uq_reminder"))


async def cancel_reminders(session: AsyncSession, *, ref_id: str, account_id: str | None = None, kind: str | None = None) -> None:
    """Called where the reminded task gets done (an expert's scores submitted, for example)."""
    condition = and_(reminders.c.ref_id == ref_id, reminders.c.fired_at.is_(None), reminders.c.cancelled_at.is_(None))
    if account_id is not None:
        condition = and_(condition, reminders.c.account_id == account_id)
    if kind is not None:
        condition = and_(condition, reminders.c.kind == kind)
    await session.execute(update(reminders).where(condition).values(cancelled_at=func.now()))


# ---- reactions ---------------------------------------------------------------------------------


async def notify_applicant_of_return(session: AsyncSession, e: CloudEvent, p: facts.ApplicationReturned) -> None:
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="application_returned",
                 title="申报材料被退回补正", body="退回原因：" + "；".join(p.reasons), source_key=e.id,
                 ref_type="application", ref_id=p.application_id)


async def notify_expert_and_remind_before_due(session: AsyncSession, e: CloudEvent, p: facts.ExpertAssigned) -> None:
    due = f"，请于 {p.due_on.isoformat()} 前完成评分" if p.due_on else ""
    role = "（评审组组长）" if p.chair else ""
    await notify(session, [p.expert_account_id], kind="expert_assigned", title="您有新的评审任务",
                 body=f"您已被分配评审一份申报材料{role}{due}。", source_key=e.id,
                 ref_type="application", ref_id=p.application_id)
    if p.due_on is not None:
        await schedule_reminder(session, p.expert_account_id, kind="review_due", remind_on=p.due_on - timedelta(days=REMIND_DAYS_BEFORE),
                                title="评审即将到期", body=f"评审任务将于 {p.due_on.isoformat()} 到期，请尽快完成评分。",
                                ref_type="application", ref_id=p.application_id)


async def notify_applicant_and_city_of_objection(session: AsyncSession, e: CloudEvent, p: facts.ObjectionFiled) -> None:
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="objection_filed",
                 title="公示期收到异议", body="您的申报在公示期内收到异议，主管部门将核查处理。", source_key=e.id,
                 ref_type="objection", ref_id=p.objection_id)
    await notify(session, await city_officers(session), kind="objection_filed", title="收到公示期异议，请处理",
                 body=f"申报 {p.application_id} 在公示期内收到异议，异议未处理前不能确定结果。", source_key=e.id,
                 ref_type="objection", ref_id=p.objection_id)


async def notify_applicant_of_objection_outcome(session: AsyncSession, e: CloudEvent, p: facts.ObjectionResolved) -> None:
    outcome = "异议成立" if p.upheld else "异议不成立"
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="objection_resolved",
                 title="公示期异议已处理", body=f"{outcome}：{p.resolution}", source_key=e.id,
                 ref_type="objection", ref_id=p.objection_id)


async def notify_applicant_of_decision(session: AsyncSession, e: CloudEvent, p: facts.ApplicationDecided) -> None:
    score = f"，综合得分 {p.final_score}" if p.final_score else ""
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="decision",
                 title=f"遴选结果：{_DECISION[p.decision]}", body=f"您的申报遴选结果为{_DECISION[p.decision]}{score}。",
                 source_key=e.id, ref_type="application", ref_id=p.application_id)


async def notify_holder_of_grant(session: AsyncSession, e: CloudEvent, p: facts.TitleGranted) -> None:
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="title_granted",
                 title=f"已授予“{p.name_zh}”称号",
                 body=f"称号编号 {p.title_number}，有效期 {p.valid_from.isoformat()} 至 {p.valid_until.isoformat()}。",
                 source_key=e.id, ref_type="title", ref_id=p.title_id)


async def notify_holder_of_revocation(session: AsyncSession, e: CloudEvent, p: facts.TitleRevoked) -> None:
    await notify(session, await organisation_accounts(session, p.organisation_id), kind="title_revoked",
                 title="称号已撤销", body=f"称号 {p.title_number} 已于 {p.revoked_on.isoformat()} 撤销。原因：{p.reason}",
                 source_key=e.id, ref_type="title", ref_id=p.title_id)


Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]
_REACTIONS: list[tuple[Any, Handler]] = [
    (facts.APPLICATION_RETURNED, notify_applicant_of_return),
    (facts.EXPERT_ASSIGNED, notify_expert_and_remind_before_due),
    (facts.OBJECTION_FILED, notify_applicant_and_city_of_objection),
    (facts.OBJECTION_RESOLVED, notify_applicant_of_objection_outcome),
    (facts.APPLICATION_DECIDED, notify_applicant_of_decision),
    (facts.TITLE_GRANTED, notify_holder_of_grant),
    (facts.TITLE_REVOKED, notify_holder_of_revocation),
]


def notification_subscriptions() -> list[Subscription]:
    return [Subscription("registry", "registry", [Reaction(spec, handler) for spec, handler in _REACTIONS])]


# ---- the worker's jobs ---------------------------------------------------------------------------


async def fire_due_reminders(session: AsyncSession, *, on: date) -> int:
    """Turn reminders due on ``on`` (a business date: the worker's clock) into notifications."""
    due = (
        await session.execute(
            select(reminders)
            .where(reminders.c.remind_on <= on, reminders.c.fired_at.is_(None), reminders.c.cancelled_at.is_(None))
            .with_for_update(skip_locked=True)
            .limit(500)
        )
    ).mappings().all()
    for r in due:
        await notify(session, [r["account_id"]], kind=r["kind"], title=r["title_zh"], body=r["body_zh"],
                     source_key=f"reminder:{r['id']}", ref_type=r["ref_type"], ref_id=r["ref_id"])
    if due:
        await session.execute(update(reminders).where(reminders.c.id.in_([r["id"] for r in due])).values(fired_at=func.now()))
    return len(due)


async def mail_pending(session: AsyncSession, settings: Any) -> int:
    """Send the pending notices by e-mail (SMTP configured) or mark them as not mailed."""
    pending = (
        await session.execute(
            select(notifications.c.id, notifications.c.title_zh, notifications.c.body_zh, accounts.c.email)
            .join(accounts, accounts.c.id == notifications.c.account_id, isouter=True)
            .where(notifications.c.email_status == "pending")
            .order_by(notifications.c.id)
            .with_for_update(of=notifications, skip_locked=True)
            .limit(100)
        )
    ).all()
    for row in pending:
        if not settings.smtp_host or not row.email:
            status = "not_sent"
        else:
            status = "sent" if await send_mail(settings, row.email, f"【四化平台】{row.title_zh}", row.body_zh) else "failed"
        await session.execute(
            update(notifications).where(notifications.c.id == row.id)
            .values(email_status=status, emailed_at=func.now() if status == "sent" else None)
        )
    return len(pending)


async def notification_jobs(worker: Any, stop: asyncio.Event, *, interval: float = 2.0) -> None:
    """Run beside the relay and consumers: fire due reminders and mail pending notices."""
    factory: async_sessionmaker[AsyncSession] = worker._factory()
    while not stop.is_set():
        try:
            async with factory() as session, session.begin():
                await fire_due_reminders(session, on=worker.clock.today())
            async with factory() as session, session.begin():
                await mail_pending(session, worker.settings)
        except Exception as exc:  # the database may be away; try again next round
            log.warning("notifications.job_failed", error=repr(exc))
        await sleep_or_stop(stop, interval)
