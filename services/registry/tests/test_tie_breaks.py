"""A tie at the quota line over HTTP: publishing is refused (409 tie_at_cut) until the panel chair or a city officer
records the order of exactly the tied applications with a reason; publishing then ranks them in that order, and only
them. Recorded, applied and superseded decisions are audited."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from registry.main import create_app
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, World, install_clock

WINDOW = {"opens_on": "2025-01-01", "closes_on": None}
VOTE = {"method": "panel_vote", "reason": "评审组复议，就服务能力进行投票，3票对0票认为申报3更优"}


async def _state(w: World, app: dict[str, Any]) -> str:
    return str((await w.client.get(f"{API}/applications/{app['id']}", headers=w.city)).json()["state"])


async def test_the_chair_settles_a_tie_at_the_quota_line_and_publishing_uses_the_order(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    install_clock(api, date(2025, 9, 15))
    async with service_client(api) as client:
        w = World(stack, client)
        chair = await w.expert()
        member = (await w.expert(can_chair=False), await w.expert(can_chair=False))[0]  # the chair chairs every panel
        call = await w.open_call(window=WINDOW, cut_rule={"pass_mark": "60", "quota": 2})
        first, second, third = await w.reviewed(call, [90, 80, 80])  # the 2nd and the 3rd tie for the last place
        publish, tie_breaks = f"{API}/calls/{call['id']}/publicity", f"{API}/calls/{call['id']}/tie-breaks"

        stuck = await client.post(publish, json={}, headers=w.city)
        assert stuck.status_code == 409 and stuck.json()["code"] == "tie_at_cut"
        assert sorted(stuck.json()["applications"]) == sorted([second["id"], third["id"]])

        settle = {"order": [third["id"], second["id"]], **VOTE}
        assert (await client.post(tie_breaks, json=settle, headers=w.as_org(first["organisation_id"]))).status_code == 403
        not_chair = await client.post(tie_breaks, json=settle, headers=w.as_expert(member))
        assert not_chair.status_code == 403 and not_chair.json()["errors"][0]["message_zh"]
        as_chair = w.as_expert(chair)
        for order, fields in (
            ([second["id"]], ["body.order"]),  # one of the two tied only
            ([second["id"], third["id"], first["id"]], ["body.order[2]"]),  # the first is not tied
            ([second["id"], second["id"]], ["body.order[1]", "body.order"]),  # twice the same, the other missing
        ):
            wrong = await client.post(tie_breaks, json={**settle, "order": order}, headers=as_chair)
            assert wrong.status_code == 422 and wrong.json()["code"] == "tie_order_invalid", wrong.text
            assert [e["field"] for e in wrong.json()["errors"]] == fields
            assert all(e["message_zh"] and e["message_en"] for e in wrong.json()["errors"])
        short = await client.post(tie_breaks, json={**settle, "reason": "投票"}, headers=as_chair)
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "body.reason"
        assert (await client.post(publish, json={}, headers=w.city)).json()["code"] == "tie_at_cut"  # nothing was recorded

        recorded = await client.post(tie_breaks, json=settle, headers=as_chair)
        assert recorded.status_code == 201, recorded.text
        assert (recorded.json()["order"], recorded.json()["recorded_as"], recorded.json()["state"]) == (
            [third["id"], second["id"]], "chair", "recorded")
        again = await client.post(tie_breaks, json=settle, headers=w.city)
        assert again.status_code == 409 and again.json()["code"] == "tie_break_recorded"
        assert (await client.get(tie_breaks, headers=as_chair)).status_code == 403

        published = await client.post(publish, json={}, headers=w.city)
        assert published.status_code == 201, published.text
        assert published.json()["tie_break_id"] == recorded.json()["id"]
        assert [(r["application_id"], r["rank"], r["outcome"], r["by_tie_break"]) for r in published.json()["ranking"]] == [
            (first["id"], 1, "selected", False), (third["id"], 2, "selected", True), (second["id"], 3, "over_quota", True)]
        assert [await _state(w, a) for a in (first, second, third)] == ["publicity", "rejected", "publicity"]
        listed = (await client.get(f"{API}/publicity/{call['id']}")).json()["items"]
        assert [(i["application_id"], i["rank"]) for i in listed] == [(first["id"], 1), (third["id"], 2)]

        applied = (await client.get(tie_breaks, headers=w.city)).json()
        assert applied["total"] == 1 and applied["items"][0]["state"] == "applied"
        assert applied["items"][0]["publicity_id"] == published.json()["id"]

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    decided = [(e["subject"], e["data"]["decision"], e["data"]["rank"]) for e in facts if e["type"].endswith("application.decided.v1")]
    assert decided == [(second["id"], "rejected", 3)]
    trail = await rows(settings.database_url, select(audit_log.c.action, audit_log.c.actor_id, audit_log.c.after)
                       .where(audit_log.c.entity_type == "tie_break").order_by(audit_log.c.id))
    assert [t.action for t in trail] == ["tie_break.record", "tie_break.apply"] and trail[0].actor_id == chair
    assert trail[0].after["reason"] == VOTE["reason"] and trail[0].after["application_ids"] == [third["id"], second["id"]]


async def test_a_city_officer_settles_and_a_changed_tie_needs_a_new_decision(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    install_clock(api, date(2025, 9, 15))
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        clear = await w.open_call(window=WINDOW, cut_rule={"quota": 1}, title="无同分")
        await w.reviewed(clear, [90, 80])
        nothing = await client.post(f"{API}/calls/{clear['id']}/tie-breaks", json={"order": [str(uuid.uuid4())], **VOTE}, headers=w.city)
        assert nothing.status_code == 409 and nothing.json()["code"] == "no_tie_at_cut"

        call = await w.open_call(window=WINDOW, cut_rule={"quota": 1}, title="三方同分")
        a, b, c = await w.reviewed(call, [85, 85, 85])
        tie_breaks = f"{API}/calls/{call['id']}/tie-breaks"
        means = {"method": "criterion_means", "reason": "按技术能力分项平均分复核后排序，由市级主管部门记录"}
        first = await client.post(tie_breaks, json={"order": [b["id"], a["id"], c["id"]], **means}, headers=w.city)
        assert first.status_code == 201 and first.json()["recorded_as"] == "city_officer"

        await w.step(b, "withdraw", w.as_org(b["organisation_id"]))  # the tie is now a and c only
        stale = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert stale.status_code == 409 and stale.json()["code"] == "tie_at_cut"
        assert sorted(stale.json()["applications"]) == sorted([a["id"], c["id"]])
        second = await client.post(tie_breaks, json={"order": [c["id"], a["id"]], **means}, headers=w.city)
        assert second.status_code == 201, second.text

        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert published.status_code == 201, published.text
        assert [(r["application_id"], r["rank"], r["outcome"]) for r in published.json()["ranking"]] == [
            (c["id"], 1, "selected"), (a["id"], 2, "over_quota")]
        history = (await client.get(tie_breaks, headers=w.city)).json()["items"]
        assert [(h["id"], h["state"]) for h in history] == [(first.json()["id"], "superseded"), (second.json()["id"], "applied")]

        gone = await w.open_call(window=WINDOW, cut_rule={"quota": 1}, title="同分消失")
        d, e = await w.reviewed(gone, [70, 70])
        settled = await client.post(f"{API}/calls/{gone['id']}/tie-breaks", json={"order": [e["id"], d["id"]], **means}, headers=w.city)
        assert settled.status_code == 201
        await w.step(e, "withdraw", w.as_org(e["organisation_id"]))
        alone = await client.post(f"{API}/calls/{gone['id']}/publicity", json={}, headers=w.city)
        assert alone.status_code == 201 and alone.json()["tie_break_id"] is None
        assert [(r["application_id"], r["outcome"], r["by_tie_break"]) for r in alone.json()["ranking"]] == [(d["id"], "selected", False)]
        left = (await client.get(f"{API}/calls/{gone['id']}/tie-breaks", headers=w.city)).json()["items"]
        assert [h["state"] for h in left] == ["superseded"]
