"""Issue 3's "done means", through the HTTP API only: an official opens a call, three providers apply with materials,
experts are assigned without conflicts and score, the result goes through publicity with an objection resolved, two
titles are granted and one later revoked — with every fact on NATS, and the titles reaching another service (the
diagnosis service's read model)."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from diagnosis.adapters.readmodels import known_titles
from registry.main import create_app
from services.registry.tests.selection_kit import API, DAY, World, if_match, install_clock
from sihua_shared.bus import stream_name
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Servers, Stack, eventually, running_worker, service_client

from .helpers import rows, spec_of


async def _facts_on_nats(servers: Servers, namespace: str) -> dict[str, str]:
    """Event id → type of every message in the registry's stream of this test's namespace."""
    nc = await servers.connect("selection-flow-reader")
    try:
        js = nc.jetstream()
        name = stream_name("registry", namespace)
        info = await js.stream_info(name)
        found = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            envelope = json.loads((await js.get_msg(name, seq)).data)
            found[envelope["id"]] = envelope["type"]
        return found
    finally:
        await nc.close()


async def test_open_call_to_titles_through_the_api_with_every_fact_on_nats(stack: Stack) -> None:
    registry_settings = await stack.settings("registry")
    diagnosis_settings = await stack.settings("diagnosis")
    api = create_app(registry_settings)
    start = DAY
    clock = install_clock(api, start)
    async with AsyncExitStack() as running:
        client = await running.enter_async_context(service_client(api))
        await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
        await running.enter_async_context(running_worker(spec_of("diagnosis"), diagnosis_settings))
        w = World(stack, client)

        # the official opens a call
        call = await w.open_call(window={"opens_on": start.isoformat(), "closes_on": None}, experts_per_application=3,
                                 cut_rule={"pass_mark": "60", "quota": 2})

        # three providers; one of them related to another organisation by a declared shareholding
        providers = [await w.org(name=f"广州四化平台{n}有限公司") for n in range(3)]
        holding = await w.org(name="某控股集团有限公司")
        await w.relate(providers[1], holding)
        own, related = await w.expert(providers[0]), await w.expert(holding)
        neutral = [await w.expert() for _ in range(4)]
        conflicts = {providers[0]: {own}, providers[1]: {related}, providers[2]: set()}

        # they apply with their materials; the formal check passes them to expert review
        apps = [await w.in_review(call, org) for org in providers]
        assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).status_code == 200
        for app, org in zip(apps, providers, strict=True):
            members = {m["expert_id"] for m in (await w.panel(app["id"]))["members"]}
            assert len(members) == 3 and not members & conflicts[org] and members <= {own, related, *neutral}
        for app, total in zip(apps, (91, 84, 52), strict=True):
            scored = await w.score_all(app["id"], [total] * 3)
            assert scored.json()["final_score"] == f"{total}.00"

        # publicity: the two above the cut are listed publicly; an objection is filed and dismissed
        clock.advance(5)
        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert published.status_code == 201, published.text
        listed = (await client.get(f"{API}/publicity/{call['id']}")).json()
        assert [i["application_id"] for i in listed["items"]] == [apps[0]["id"], apps[1]["id"]]
        objector = stack.issuer.headers(["enterprise"], org=await w.org(kind="enterprise", name="某制造企业"))
        filed = await client.post(f"{API}/publicity/{call['id']}/objections", headers=objector,
                                  json={"application_id": apps[1]["id"], "reasons": "该平台的服务案例与实际不符"})
        assert filed.status_code == 201, filed.text
        resolved = await client.post(f"{API}/objections/{filed.json()['id']}/resolve", headers={**w.city, **if_match(filed)},
                                     json={"upheld": False, "resolution": "经核查，服务案例真实，异议不成立"})
        assert resolved.status_code == 200

        # after the period the decision is final: two titles
        clock.pin(date.fromisoformat(listed["ends_on"]) + timedelta(days=1))
        current = await client.get(f"{API}/publicity/{call['id']}")
        final = await client.post(f"{API}/publicity/{call['id']}/finalise", headers={**w.city, **if_match(current)})
        assert final.status_code == 200, final.text
        titles = final.json()["titles"]
        assert [t["organisation_id"] for t in titles] == providers[:2]
        assert {t["valid_from"] for t in titles} == {clock.today().isoformat()}

        # later, one title is revoked by a city officer
        clock.advance(30)
        title = await client.get(f"{API}/titles/{titles[1]['id']}", headers=w.city)
        revoked = await client.post(f"{API}/titles/{titles[1]['id']}/revoke", json={"reason": "年度评价不合格，取消称号"},
                                    headers={**w.city, **if_match(title)})
        assert revoked.status_code == 200, revoked.text

        # every fact the registry committed is on NATS ...
        committed = {str(r.id): r.type for r in await rows(registry_settings.database_url, select(outbox.c.id, outbox.c.type))}

        async def all_published() -> Any:
            on_nats = await _facts_on_nats(stack.servers, stack.namespace)
            return on_nats if committed.items() <= on_nats.items() else None

        await eventually(all_published)
        kinds = sorted(t.removeprefix("cn.gov.sihua.registry.") for t in committed.values())
        for fact, times in (("call.opened.v1", 1), ("application.submitted.v1", 3), ("application.expert_assigned.v1", 9),
                            ("application.decided.v1", 3), ("objection.filed.v1", 1), ("objection.resolved.v1", 1),
                            ("title.granted.v1", 2), ("title.revoked.v1", 1)):
            assert kinds.count(fact) == times, (fact, kinds)

        # ... and reached another service: diagnosis holds both titles, one revoked
        async def titles_known() -> Any:
            held = await rows(diagnosis_settings.database_url, select(known_titles).order_by(known_titles.c.title_number))
            return held if len(held) == 2 and any(t.revoked_on for t in held) else None

        held = await eventually(titles_known)
        assert [(t.title_number, t.organisation_id, t.revoked_on is not None) for t in held] == [
            (titles[0]["number"], providers[0], False), (titles[1]["number"], providers[1], True)]
        assert held[1].revocation_reason == "年度评价不合格，取消称号"
        assert held[1].revoked_on == clock.today()
