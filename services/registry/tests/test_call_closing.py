"""Dated calls close by themselves once their window's last day is over in the jurisdiction's time zone: the worker's
job closes each exactly once (even with replicas racing), audited, with ``call.closed`` in the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.adapters.notification_tables import reminders
from registry.application.call_jobs import close_ended_calls
from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.db import create_engine, session_factory
from sihua_shared.settings import Settings
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, World, call_body, install_clock


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[Any]:
    engine = create_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _closed_facts(settings: Settings) -> list[dict[str, Any]]:
    found = await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))
    return [r.envelope for r in found if r.envelope["type"].endswith(".call.closed.v1")]


async def test_the_job_closes_a_dated_call_once_after_its_last_day(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    install_clock(api, date(2026, 3, 10))
    async with service_client(api) as client, _sessions(settings) as factory:
        w = World(stack, client)
        dated = await w.open_call(window={"opens_on": "2026-03-01", "closes_on": "2026-03-31"}, title="限期征集")
        later = await w.open_call(window={"opens_on": "2026-03-01", "closes_on": "2026-04-30"}, title="另一限期征集")
        year_round = await w.open_call(window={"opens_on": "2026-03-01", "closes_on": None}, title="常态化征集")
        draft = await client.post(f"{API}/calls", headers=w.city,
                                  json=call_body(window={"opens_on": "2026-01-01", "closes_on": "2026-02-01"}, title="未发布"))
        org = await w.org()
        await w.account(["provider"], org)
        application = await w.draft(dated, org)  # its applicant is to be reminded before 31 March

        async def run(day: date) -> list[str]:
            session: AsyncSession
            async with factory() as session, session.begin():
                return await close_ended_calls(session, on=day)

        assert await run(date(2026, 3, 31)) == []  # the last day still takes applications
        assert await run(date(2026, 4, 1)) == [dated["id"]]
        assert await run(date(2026, 4, 2)) == []  # once

        states = {c["id"]: (await client.get(f"{API}/calls/{c['id']}", headers=w.city)).json()
                  for c in (dated, later, year_round, draft.json())}
        assert [states[c["id"]]["state"] for c in (dated, later, year_round, draft.json())] == ["closed", "open", "open", "draft"]
        assert states[dated["id"]]["version"] == dated["version"] + 1
        manual = await client.post(f"{API}/calls/{dated['id']}/close", json={},
                                   headers={**w.city, "If-Match": f'"{states[dated["id"]]["version"]}"'})
        assert manual.status_code == 409 and manual.json()["code"] == "transition_not_allowed"
        reminded = await rows(settings.database_url, select(reminders).where(reminders.c.ref_id == application["id"]))
        assert [(r.kind, r.remind_on, r.cancelled_at is not None) for r in reminded] == [("call_closing", date(2026, 3, 28), True)]

        # two worker replicas at the same moment: the one that locked the call closes it, the other skips it
        session1: AsyncSession
        session2: AsyncSession
        async with factory() as session1, session1.begin():
            first = await close_ended_calls(session1, on=date(2026, 5, 1))
            async with factory() as session2, session2.begin():
                second = await close_ended_calls(session2, on=date(2026, 5, 1))
        assert (first, second) == ([later["id"]], [])
        assert await run(date(2026, 5, 2)) == []

    closed = await _closed_facts(settings)
    assert [(e["subject"], e["data"]["closed_on"]) for e in closed] == [(dated["id"], "2026-04-01"), (later["id"], "2026-05-01")]
    assert all("申报期结束" in e["data"]["reason"] for e in closed)
    trail = await rows(settings.database_url, select(audit_log.c.actor_id, audit_log.c.after)
                       .where(audit_log.c.action == "call.close").order_by(audit_log.c.id))
    assert [(t.actor_id, t.after["id"], t.after["state"]) for t in trail] == [("system", dated["id"], "closed"),
                                                                              ("system", later["id"], "closed")]


async def test_the_worker_closes_a_call_whose_window_ended_yesterday(stack: Stack) -> None:
    """By the worker's business clock (pinned here, long before the real date): the call that ended the day before
    closes, the one whose last day is the business date stays open."""
    today = date(2026, 3, 10)
    settings = await stack.settings("registry", business_date=today)
    yesterday = today - timedelta(days=1)
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        ended = await w.open_call(window={"opens_on": (yesterday - timedelta(days=30)).isoformat(), "closes_on": yesterday.isoformat()})
        running = await w.open_call(window={"opens_on": (yesterday - timedelta(days=30)).isoformat(),
                                            "closes_on": (yesterday + timedelta(days=1)).isoformat()})
        async with running_worker(SPEC, settings), running_worker(SPEC, settings):  # two replicas

            async def closed() -> bool:
                return (await client.get(f"{API}/calls/{ended['id']}", headers=w.city)).json()["state"] == "closed"

            await eventually(closed, timeout=30)
        assert (await client.get(f"{API}/calls/{running['id']}", headers=w.city)).json()["state"] == "open"  # its last day is today
    facts = await _closed_facts(settings)
    assert [(e["subject"], e["data"]["closed_on"]) for e in facts] == [(ended["id"], (yesterday + timedelta(days=1)).isoformat())]
