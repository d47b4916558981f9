"""Dated calls close by themselves when their intake window ends (征集截止).

A worker background job (``SPEC.background``): once the last day of a call's window is over in the jurisdiction's
time zone, the call is closed as if by an officer — audited (actor ``system``), ``call.closed`` recorded in the
outbox, the applicants' intake reminders cancelled. Every worker replica runs the job; the calls are taken with
``FOR UPDATE SKIP LOCKED`` and only while still open, so each closes exactly once. Year-round calls (no
``closes_on``) stay open until an officer closes them.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sihua_shared.aio import sleep_or_stop
from sihua_shared.audit import SYSTEM
from sihua_shared.logging import get_logger

from ..adapters.call_tables import calls
from ..domain.call_state import CallState
from .calls import close_call

log = get_logger("registry.call_jobs")
WINDOW_ENDED = "申报期结束（截止日期已过，系统自动截止）"
INTERVAL_SECONDS = 60.0


async def close_ended_calls(session: AsyncSession, *, on: date, limit: int = 100) -> list[str]:
    """Close the open calls whose window ended before ``on`` (a business date); answer their ids."""
    found = await session.execute(
        select(calls)
        .where(calls.c.state == CallState.OPEN.value, calls.c.closes_on.is_not(None), calls.c.closes_on < on)
        .order_by(calls.c.closes_on, calls.c.id)
        .with_for_update(skip_locked=True)
        .limit(limit)
    )
    closed = []
    for row in found.mappings().all():
        # ``closed_on`` is the first day without intake: the day after the window's last, however late the job runs.
        await close_call(session, SYSTEM, dict(row), on=row["closes_on"] + timedelta(days=1), reason=WINDOW_ENDED)
        closed.append(str(row["id"]))
    return closed


async def call_jobs(worker: Any, stop: asyncio.Event, *, interval: float = INTERVAL_SECONDS) -> None:
    """Run beside the relay and consumers: close the calls whose window has ended (by the worker's business clock),
    round after round."""
    factory: async_sessionmaker[AsyncSession] = worker._factory()
    while not stop.is_set():
        try:
            async with factory() as session, session.begin():
                closed = await close_ended_calls(session, on=worker.clock.today())
            if closed:
                log.info("calls.closed_when_window_ended", calls=closed)
        except Exception as exc:  # the database may be away; try again next round
            log.warning("calls.job_failed", error=repr(exc))
        await sleep_or_stop(stop, interval)
