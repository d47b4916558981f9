"""Deadlines near (临近截止提醒, issue 3 item 10): reminders the worker turns into inbox notices when due.

* Intake: the applicant of an application to a dated call that is still a draft, or returned for revision, is
  reminded three days before the call closes. The reminder is scheduled when the application is drafted — the first
  moment an applicant is known to the call, which is open by then — re-armed when the formal check returns it, and
  cancelled when it is submitted or withdrawn, or when the call closes.
* Publicity: the applicants on the publicity list and the city officers are reminded one working day (the holiday
  calendar) before the publicity period ends. Scheduled when the publicity starts; cancelled when it is finalised,
  and for an applicant whose application leaves the list (objection upheld, withdrawal).

A deadline already nearer than the reminder's lead is reminded at once (on the next round of the worker's job).
They take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.calendar import WorkingDayCalendar

from ..adapters.call_tables import applications
from ..adapters.notification_tables import reminders
from .notifications import cancel_reminders, city_officers, organisation_accounts, schedule_reminder

INTAKE_REMIND_DAYS = 3
PUBLICITY_REMIND_WORKING_DAYS = 1
CALL_CLOSING = "call_closing"
PUBLICITY_ENDING = "publicity_ending"


@lru_cache(maxsize=1)
def working_calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.from_file()


def intake_reminder_day(closes_on: date | None, on: date) -> date | None:
    """When to remind of a call closing on ``closes_on``, seen on ``on``; None for a year-round or closed window."""
    if closes_on is None or on > closes_on:
        return None
    return max(closes_on - timedelta(days=INTAKE_REMIND_DAYS), on)


def publicity_reminder_day(starts_on: date, ends_on: date) -> date:
    """One working day before the last day of publicity (its first day at the earliest)."""
    return max(working_calendar().add_working_days(ends_on, -PUBLICITY_REMIND_WORKING_DAYS), starts_on)


async def schedule_intake_reminders(
    session: AsyncSession, call: Mapping[str, Any], application: Mapping[str, Any], *, on: date, returned: bool = False,
) -> None:
    day = intake_reminder_day(call["closes_on"], on)
    if day is None:
        return
    status = "已被退回补正，尚未重新提交" if returned else "尚未提交"
    body = (f"征集“{call['title']}”将于 {call['closes_on'].isoformat()} 截止申报，贵单位的申报{status}，"
            "请尽快完善材料并提交，逾期不能再提交。")
    for account_id in await organisation_accounts(session, application["organisation_id"]):
        await schedule_reminder(session, account_id, kind=CALL_CLOSING, remind_on=day, title="申报即将截止", body=body,
                                ref_type="application", ref_id=application["id"], rearm=True)


async def cancel_intake_reminders(session: AsyncSession, application_id: str) -> None:
    await cancel_reminders(session, ref_id=application_id, kind=CALL_CLOSING)


async def cancel_call_intake_reminders(session: AsyncSession, call_id: str) -> None:
    """The call closed: nobody can submit any more, so nobody is reminded to."""
    of_call = select(applications.c.id).where(applications.c.call_id == call_id)
    await session.execute(update(reminders).where(reminders.c.kind == CALL_CLOSING, reminders.c.ref_id.in_(of_call),
                                                  reminders.c.fired_at.is_(None), reminders.c.cancelled_at.is_(None))
                          .values(cancelled_at=func.now()))


async def schedule_publicity_reminders(
    session: AsyncSession, call: Mapping[str, Any], publicity: Mapping[str, Any], listed: Iterable[Mapping[str, Any]],
) -> None:
    day = publicity_reminder_day(publicity["starts_on"], publicity["ends_on"])
    ends = publicity["ends_on"].isoformat()
    for application in listed:
        for account_id in await organisation_accounts(session, application["organisation_id"]):
            await schedule_reminder(session, account_id, kind=PUBLICITY_ENDING, remind_on=day, title="公示期即将结束",
                                    body=f"贵单位对“{call['title']}”的申报正在公示，公示期将于 {ends} 结束。",
                                    ref_type="application", ref_id=application["id"])
    for account_id in await city_officers(session):
        await schedule_reminder(session, account_id, kind=PUBLICITY_ENDING, remind_on=day, title="公示期即将结束，请确定遴选结果",
                                body=f"征集“{call['title']}”的公示期将于 {ends} 结束；期满且异议处理完毕后，请确定遴选结果。",
                                ref_type="publicity", ref_id=publicity["id"])


async def cancel_publicity_reminders(session: AsyncSession, publicity_id: str, application_ids: Iterable[str]) -> None:
    for ref_id in (publicity_id, *application_ids):
        await cancel_reminders(session, ref_id=ref_id, kind=PUBLICITY_ENDING)
