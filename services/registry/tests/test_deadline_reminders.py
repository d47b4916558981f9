"""Deadlines near (issue 3 item 10): applicants with an unsubmitted application are reminded three days before a dated
call closes; the applicants on a publicity list and the city officers one working day before the publicity ends. The
reminders fire into the inbox when due, once, and not at all when the task was done in time."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.adapters.notification_tables import reminders
from registry.application.notifications import fire_due_reminders
from registry.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.settings import Settings
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, World, if_match, install_clock

PROVIDER = ["provider"]
Fire = Callable[[date], Coroutine[Any, Any, int]]


def _firing(settings: Settings) -> tuple[Fire, Callable[[], Coroutine[Any, Any, None]]]:
    """The worker's step, run directly on a chosen business date."""
    engine = create_engine(settings.database_url)

    async def fire(day: date) -> int:
        session: AsyncSession
        async with session_factory(engine)() as session, session.begin():
            return await fire_due_reminders(session, on=day)

    return fire, engine.dispose


async def _kinds(w: World, account: str, roles: list[str], org: str | None = None) -> list[tuple[str, str]]:
    return [(n["kind"], n["body_zh"]) for n in await w.inbox(account, roles, org)]


async def test_applicants_are_reminded_before_a_dated_call_closes_unless_they_submitted(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    install_clock(api, date(2026, 3, 10))
    fire, dispose = _firing(settings)
    async with service_client(api) as client:
        w = World(stack, client)
        call = await w.open_call(window={"opens_on": "2026-03-01", "closes_on": "2026-03-31"}, title="2026年限期征集")
        year_round = await w.open_call(window={"opens_on": "2026-03-01", "closes_on": None}, title="常态化征集")
        drafting, submitting, returned, elsewhere = [await w.org() for _ in range(4)]
        people = {org: await w.account(PROVIDER, org) for org in (drafting, submitting, returned, elsewhere)}

        await w.draft(call, drafting)
        sent = await w.draft(call, submitting)
        assert (await w.step(sent, "submit", w.as_org(submitting))).status_code == 200
        back = await w.draft(call, returned)
        for path, headers, body in (("submit", w.as_org(returned), None), ("formal-check/start", w.city, None),
                                    ("formal-check/return", w.city, {"reasons": ["缺少近三年财务审计报告"]})):
            assert (await w.step(back, path, headers, body)).status_code == 200
        await w.draft(year_round, elsewhere)  # no closing date, nothing to remind of

        scheduled = await rows(settings.database_url, select(reminders).order_by(reminders.c.id))
        assert [(r.account_id, r.kind, r.remind_on, r.cancelled_at is None) for r in scheduled] == [
            (people[drafting], "call_closing", date(2026, 3, 28), True),
            (people[submitting], "call_closing", date(2026, 3, 28), False),  # submitted: cancelled
            (people[returned], "call_closing", date(2026, 3, 28), True),  # cancelled on submission, re-armed on return
        ]
        assert await fire(date(2026, 3, 27)) == 0
        assert await fire(date(2026, 3, 28)) == 2
        assert await fire(date(2026, 3, 29)) == 0  # once
        drafted = await _kinds(w, people[drafting], PROVIDER, drafting)
        assert len(drafted) == 1 and drafted[0][0] == "call_closing" and "2026-03-31" in drafted[0][1] and "尚未提交" in drafted[0][1]
        again = await _kinds(w, people[returned], PROVIDER, returned)
        assert len(again) == 1 and "已被退回补正" in again[0][1]
        assert await w.inbox(people[submitting], PROVIDER, submitting) == []
        assert await w.inbox(people[elsewhere], PROVIDER, elsewhere) == []
    await dispose()


async def test_publicity_ending_reminds_the_listed_applicants_and_the_city_officers(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    clock = install_clock(api, date(2025, 9, 15))
    fire, dispose = _firing(settings)
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        officer = await w.account(["city_officer"])
        orgs = [await w.org() for _ in range(4)]
        people = {org: await w.account(PROVIDER, org) for org in orgs}
        kept, upheld, low, short = orgs
        call = await w.open_call(window={"opens_on": "2025-01-01", "closes_on": None}, cut_rule={"pass_mark": "60", "quota": 2})
        brief = await w.open_call(window={"opens_on": "2025-01-01", "closes_on": None}, title="一日公示")
        apps = await w.reviewed(call, [90, 80, 50], orgs=[kept, upheld, low])
        (only,) = await w.reviewed(brief, [88], orgs=[short])

        # Friday 26 September 2025: five working days end on Thursday 9 October, after the National Day holiday, so
        # one working day before is Tuesday 30 September; a one-day publicity is reminded on its only day.
        clock.pin(date(2025, 9, 26))
        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert published.status_code == 201 and published.json()["ends_on"] == "2025-10-09"
        one_day = await client.post(f"{API}/calls/{brief['id']}/publicity", json={"working_days": 1}, headers=w.city)
        assert one_day.status_code == 201 and one_day.json()["ends_on"] == "2025-09-26"
        scheduled = await rows(settings.database_url, select(reminders.c.account_id, reminders.c.ref_id, reminders.c.remind_on)
                               .where(reminders.c.kind == "publicity_ending"))
        assert sorted(scheduled) == sorted([
            (people[kept], apps[0]["id"], date(2025, 9, 30)), (people[upheld], apps[1]["id"], date(2025, 9, 30)),
            (officer, published.json()["id"], date(2025, 9, 30)),
            (people[short], only["id"], date(2025, 9, 26)), (officer, one_day.json()["id"], date(2025, 9, 26))])

        # the one-day publicity is finalised before the job runs: its reminders never fire
        clock.pin(date(2025, 9, 27))
        current = await client.get(f"{API}/publicity/{brief['id']}")
        final = await client.post(f"{API}/publicity/{brief['id']}/finalise", headers={**w.city, **if_match(current)})
        assert final.status_code == 200, final.text
        # an upheld objection takes an application off the list: its applicant has nothing left to wait for
        filed = await client.post(f"{API}/publicity/{call['id']}/objections", headers=w.as_org(low),
                                  json={"application_id": apps[1]["id"], "reasons": "申报材料中的业绩合同系伪造"})
        resolved = await client.post(f"{API}/objections/{filed.json()['id']}/resolve", headers={**w.city, **if_match(filed)},
                                     json={"upheld": True, "resolution": "经核查，业绩合同不实，异议成立"})
        assert resolved.status_code == 200

        assert await fire(date(2025, 9, 29)) == 0
        assert await fire(date(2025, 9, 30)) == 2
        mine = await _kinds(w, people[kept], PROVIDER, kept)
        assert len(mine) == 1 and mine[0][0] == "publicity_ending" and "2025-10-09" in mine[0][1]
        city = await _kinds(w, officer, ["city_officer"])
        assert len(city) == 1 and city[0][0] == "publicity_ending" and "确定遴选结果" in city[0][1]
        assert await w.inbox(people[upheld], PROVIDER, upheld) == []
        assert await w.inbox(people[short], PROVIDER, short) == []
        assert await w.inbox(people[low], PROVIDER, low) == []  # rejected below the mark: not on the list

    await dispose()
