"""Expert review (遴选) over HTTP: conflict-free, reproducible panels from real declared relationships, recusal and
replacement, experts seeing only what is assigned to them, scoring against the rubric, the aggregation rule with the
chair's confirmation, the backlog, and the pool's fields of expertise."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from registry.main import create_app
from sihua_shared.panel import ApplicationRef, ConflictGraph, Expert, Relationship, RelationshipKind, assign_panel, panel_seed
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, DAY, World, install_clock, sheet

SEED = 20260105


async def test_panels_exclude_the_applicant_and_every_related_organisation_and_replace_a_recusal(stack: Stack) -> None:
    settings = await stack.settings("registry", business_date=DAY)
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        applicant, shareholder, sister, former, neutral = [await w.org() for _ in range(5)]
        await w.relate(applicant, shareholder, "shareholding")
        await w.relate(sister, shareholder, "group_membership")  # related to the applicant through the shareholder
        await w.relate(former, applicant, "staff_move")  # declared from the other side
        conflicted = {await w.expert(applicant): "same_organisation", await w.expert(shareholder): "related_organisation",
                      await w.expert(sister): "related_organisation", await w.expert(former): "related_organisation"}
        eligible = [await w.expert(neutral), await w.expert(neutral), await w.expert(), await w.expert()]
        call = await w.open_call(experts_per_application=3)
        app = await w.in_review(call, applicant)
        call_before = await client.get(f"{API}/calls/{call['id']}", headers=w.city)
        app_before = await client.get(f"{API}/applications/{app['id']}", headers=w.city)

        assigned = await client.post(f"{API}/calls/{call['id']}/assignments", json={"seed": SEED}, headers=w.city)
        assert assigned.status_code == 200, assigned.text
        # every change changes the ETag: the call records its seed, the application its panel
        call_after = await client.get(f"{API}/calls/{call['id']}", headers=w.city)
        assert call_after.headers["ETag"] != call_before.headers["ETag"]
        assert call_after.json()["version"] == call_before.json()["version"] + 1
        app_after = await client.get(f"{API}/applications/{app['id']}", headers=w.city)
        assert app_after.headers["ETag"] != app_before.headers["ETag"]
        assert [a["id"] for a in assigned.json()] == [app["id"]]
        panel = await w.panel(app["id"])
        members = [m["expert_id"] for m in panel["members"]]
        assert len(members) == 3 and set(members) <= set(eligible)
        assert [m["chair"] for m in panel["members"]].count(True) == 1
        assert {e["expert_id"]: e["reason"] for e in panel["draw"]["excluded"]} == conflicted
        assert (await client.get(f"{API}/calls/{call['id']}", headers=w.city)).json()["assignment_seed"] == str(SEED)

        # reproducible: the recorded seed, the pool and the relationships give the same panel again
        orgs = {**{e: o for e, o in zip(conflicted, (applicant, shareholder, sister, former), strict=True)},
                **{e: neutral for e in eligible[:2]}, **{e: f"account:{e}" for e in eligible[2:]}}
        graph = ConflictGraph([Relationship(applicant, shareholder, RelationshipKind.SHAREHOLDING),
                               Relationship(sister, shareholder, RelationshipKind.GROUP_MEMBERSHIP),
                               Relationship(former, applicant, RelationshipKind.STAFF_MOVE)])
        again = assign_panel(ApplicationRef(app["id"], applicant), [Expert(e, o) for e, o in orgs.items()], size=3,
                             seed=panel_seed(SEED, app["id"]), graph=graph)
        assert (list(again.members), again.chair) == (panel["draw"]["members"], panel["draw"]["chair"])
        assert panel["draw"]["seed"] == str(panel_seed(SEED, app["id"]))  # 62 bits: a string in HTTP

        # experts see only what is assigned to them
        outsider = w.as_expert(next(iter(conflicted)))
        assert (await client.get(f"{API}/applications/{app['id']}", headers=outsider)).status_code == 403
        assert (await client.get(f"{API}/applications", headers=outsider)).json()["total"] == 0
        chair = panel["draw"]["chair"]
        assert (await client.get(f"{API}/applications/{app['id']}", headers=w.as_expert(chair))).status_code == 200
        assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).json() == []
        one = await w.step(app, "assignment", w.city, {})
        assert one.status_code == 409 and one.json()["code"] == "panel_exists"

        # the chair declares a conflict: the spare eligible expert joins, and someone else chairs
        recused = await client.post(f"{API}/applications/{app['id']}/recuse", json={"text": "曾为该单位提供咨询服务"},
                                    headers=w.as_expert(chair))
        assert recused.status_code == 200, recused.text
        after = await w.panel(app["id"])
        active = [m for m in after["members"] if m["status"] != "declined"]
        spare = (set(eligible) - set(members)).pop()
        assert {m["expert_id"] for m in active} == set(members) - {chair} | {spare}
        assert [m["chair"] for m in active].count(True) == 1 and chair not in [m["expert_id"] for m in active if m["chair"]]
        assert next(m for m in after["members"] if m["expert_id"] == chair)["decline_reason"] == "曾为该单位提供咨询服务"
        assert (await client.get(f"{API}/applications/{app['id']}", headers=w.as_expert(chair))).status_code == 403
        assert (await client.get(f"{API}/applications/{app['id']}", headers=w.as_expert(spare))).status_code == 200

        # no eligible expert left: a further recusal is refused and nothing changes
        member = next(m["expert_id"] for m in active if m["expert_id"] != spare)
        refused = await client.post(f"{API}/applications/{app['id']}/recuse", json={"text": "存在利益冲突"}, headers=w.as_expert(member))
        assert refused.status_code == 409 and refused.json()["code"] == "not_enough_experts"
        assert await w.panel(app["id"]) == after

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    assigned_facts = [e["data"] for e in facts if e["type"].endswith("expert_assigned.v1")]
    assert [f["expert_account_id"] for f in assigned_facts] == [*panel["draw"]["members"], spare]
    assert {f["due_on"] for f in assigned_facts} == {(DAY + timedelta(days=call["review_days"])).isoformat()}
    assert {f["assignment_seed"] for f in assigned_facts} == {int(panel["draw"]["seed"])}  # an integer in events


async def test_scores_are_checked_and_aggregated_by_the_trimmed_mean_and_a_wide_spread_goes_to_the_chair(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        for _ in range(5):
            await w.expert()
        five = await w.open_call(experts_per_application=5, spread_limit="20")
        app = await w.in_review(five, await w.org())
        await client.post(f"{API}/calls/{five['id']}/assignments", json={}, headers=w.city)
        panel = (await w.panel(app["id"]))["draw"]
        first = w.as_expert(panel["members"][0])
        url = f"{API}/applications/{app['id']}/scores"

        bad = {
            "body.scores.service_capability": {**sheet(80), "scores": {"technical_capability": "30", "scale_strength": "20"}},
            "body.scores.technical_capability": {**sheet(80), "scores": {**sheet(80)["scores"], "technical_capability": "40.5"}},
            "body.comments.scale_strength": {**sheet(80), "comments": {"technical_capability": "好", "service_capability": "好"}},
        }
        for field, body in bad.items():
            response = await client.put(url, json=body, headers=first)
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (field, response.text)
        assert (await client.put(url, json=sheet(80), headers=w.as_expert(await w.expert()))).status_code == 403
        assert (await w.panel(app["id"]))["members"][0]["status"] == "assigned"  # nothing recorded

        totals = [90, 80, 70, 60, 40]
        for expert, total in zip(panel["members"][:4], totals[:4], strict=True):
            scored = await client.put(url, json=sheet(total), headers=w.as_expert(expert))
            assert scored.status_code == 200 and scored.json()["final_score"] is None  # the panel has not finished
        done = await client.put(url, json=sheet(40), headers=w.as_expert(panel["members"][4]))
        # five experts: the highest (90) and the lowest (40) are dropped — mean of 80, 70, 60; spread 50 > 20 goes to the chair
        assert (done.json()["final_score"], done.json()["score_spread"], done.json()["needs_chair_review"]) == ("70.00", "50.00", True)

        not_chair = next(e for e in panel["members"] if e != panel["chair"])
        confirm = f"{API}/applications/{app['id']}/chair-confirmation"
        assert (await client.post(confirm, json={"text": "经合议维持评分"}, headers=w.as_expert(not_chair))).status_code == 403
        confirmed = await client.post(confirm, json={"text": "经合议维持评分"}, headers=w.as_expert(panel["chair"]))
        assert confirmed.status_code == 200 and confirmed.json()["chair_confirmed_at"] is not None
        assert (await client.post(confirm, json={"text": "再次确认"}, headers=w.as_expert(panel["chair"]))).status_code == 409

        # a revised score recomputes the result, and a flagged result needs the chair again
        revised = await client.put(url, json=sheet(50), headers=w.as_expert(panel["members"][4]))
        assert (revised.json()["final_score"], revised.json()["chair_confirmed_at"]) == ("70.00", None)

        # three experts: nothing is dropped — mean of 90, 60, 60 is 70 (trimming would give 60); spread 30 ≤ 30 is not flagged
        three = await w.open_call(experts_per_application=3, spread_limit="30", title="三人评审组")
        small = await w.in_review(three, await w.org())
        await client.post(f"{API}/calls/{three['id']}/assignments", json={}, headers=w.city)
        result = await w.score_all(small["id"], [90, 60, 60])
        assert (result.json()["final_score"], result.json()["needs_chair_review"]) == ("70.00", False)
        assert (await client.post(f"{API}/applications/{small['id']}/chair-confirmation", json={"text": "确认"},
                                  headers=w.as_expert((await w.panel(small["id"]))["draw"]["chair"]))).status_code == 409


async def test_an_expert_s_backlog_shows_assigned_scored_and_overdue(stack: Stack) -> None:
    settings = await stack.settings("registry")
    app_ = create_app(settings)
    clock = install_clock(app_)
    async with service_client(app_) as client:
        w = World(stack, client)
        experts = [await w.expert() for _ in range(3)]
        call = await w.open_call(experts_per_application=3, review_days=7)
        apps = [await w.in_review(call, await w.org()) for _ in range(2)]
        assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).status_code == 200
        mine = w.as_expert(experts[0])
        await client.put(f"{API}/applications/{apps[0]['id']}/scores", json=sheet(75), headers=mine)
        backlog = (await client.get(f"{API}/experts/me/assignments", headers=mine)).json()
        assert backlog["counts"] == {"assigned": 1, "scored": 1, "overdue": 0}
        assert {i["due_on"] for i in backlog["items"]} == {(DAY + timedelta(days=7)).isoformat()}
        clock.advance(8)
        late = (await client.get(f"{API}/experts/me/assignments", headers=mine)).json()
        assert late["counts"] == {"assigned": 0, "scored": 1, "overdue": 1}
        assert [i["status"] for i in late["items"] if i["application_id"] == apps[1]["id"]] == ["overdue"]
        assert (await client.get(f"{API}/experts/me/assignments", headers=w.city)).status_code == 403


async def test_the_pool_s_fields_of_expertise_are_set_by_city_officers_and_used_for_matching(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        generalists = [await w.expert() for _ in range(3)]
        specialists = [await w.expert(fields=["industrial_internet"]) for _ in range(2)]
        lead = await w.expert(fields=["industrial_internet", "ai"], can_chair=True)
        path = f"{API}/experts/{generalists[0]}/profile"
        assert (await client.put(path, json={"fields": ["ai"]}, headers=w.as_org(await w.org()))).status_code == 403
        assert (await client.put(f"{API}/experts/{await w.org()}/profile", json={"fields": []}, headers=w.city)).status_code == 404
        dup = await client.put(path, json={"fields": ["ai", "ai"]}, headers=w.city)
        assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "body.fields"
        pool = {e["account_id"]: e for e in (await client.get(f"{API}/experts", headers=w.city)).json()}
        assert pool[lead]["fields"] == ["ai", "industrial_internet"] and pool[generalists[0]]["fields"] == []

        call = await w.open_call(experts_per_application=3, field_matching="require")
        org = await w.org()
        draft = await w.draft(call, org)
        current = await client.get(f"{API}/applications/{draft['id']}", headers=w.city)
        await client.patch(f"{API}/applications/{draft['id']}", json={"fields": ["industrial_internet"]},
                           headers={**w.as_org(org), "If-Match": current.headers["etag"]})
        for step in ("submit", "formal-check/start", "formal-check/pass"):
            assert (await w.step(draft, step, w.as_org(org) if step == "submit" else w.city)).status_code == 200
        await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)
        panel = await w.panel(draft["id"])
        assert {m["expert_id"] for m in panel["members"]} == {*specialists, lead}
        assert {e["reason"] for e in panel["draw"]["excluded"]} == {"no_field_match"}
