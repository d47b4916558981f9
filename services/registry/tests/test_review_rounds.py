"""Year-round calls are publicised per review round (issue 10 §4): a city officer closes a round, the batch of the
applications submitted by then goes to review, the round's publicity covers exactly that batch, and intake stays open
for the next round."""

from __future__ import annotations

from datetime import date, timedelta

from registry.main import create_app
from sihua_shared.testing.harness import Stack, service_client

from .selection_kit import API, DAY, World, if_match, install_clock


async def test_a_year_round_call_is_publicised_round_by_round(stack: Stack) -> None:
    api = create_app(await stack.settings("registry"))
    clock = install_clock(api)
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        call = await w.open_call(cut_rule={"pass_mark": "60", "quota": 5})
        rounds = f"{API}/calls/{call['id']}/review-rounds"
        empty = await client.post(rounds, headers=w.city)
        assert empty.status_code == 409 and empty.json()["code"] == "review_round_empty"

        first, second = await w.in_review(call, await w.org()), await w.in_review(call, await w.org())
        before = await client.get(f"{API}/applications/{first['id']}", headers=w.city)
        assert (await client.post(rounds, headers=w.as_org(first["organisation_id"]))).status_code == 403
        closed = await client.post(rounds, headers={**w.city, "Idempotency-Key": "round-1"})
        assert closed.status_code == 201, closed.text
        assert (closed.json()["number"], closed.json()["state"], closed.json()["application_ids"]) == (
            1, "closed", [first["id"], second["id"]])
        after = await client.get(f"{API}/applications/{first['id']}", headers=w.city)
        assert after.headers["etag"] != before.headers["etag"]  # joining a round changes the application
        pending = await client.post(rounds, headers=w.city)
        assert pending.status_code == 409 and pending.json()["code"] == "review_round_pending"

        # intake stays open: a later application goes to review too, but waits for the next round
        open_today = await client.get(f"{API}/calls/open")
        assert call["id"] in [c["id"] for c in open_today.json()["items"]]
        late = await w.in_review(call, await w.org())
        assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).status_code == 200
        for app, total in ((first, 90), (second, 80), (late, 95)):
            await w.score_all(app["id"], [total] * 3)

        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert published.status_code == 201, published.text
        assert [r["application_id"] for r in published.json()["ranking"]] == [first["id"], second["id"]]  # not the late one
        assert published.json()["review_round"]["number"] == 1
        listed = await client.get(f"{API}/publicity/{call['id']}")
        assert {i["application_id"] for i in listed.json()["items"]} == {first["id"], second["id"]}
        assert (await client.get(f"{API}/applications/{late['id']}", headers=w.city)).json()["state"] == "expert_review"

        # round 2: the late application and one only submitted; its publicity waits until the whole batch is reviewed
        unchecked = await w.draft(call, await w.org())
        assert (await w.step(unchecked, "submit", w.as_org(unchecked["organisation_id"]))).status_code == 200
        second_round = await client.post(rounds, headers=w.city)
        assert second_round.status_code == 201, second_round.text
        assert (second_round.json()["number"], sorted(second_round.json()["application_ids"])) == (
            2, sorted([late["id"], unchecked["id"]]))
        clock.pin(date.fromisoformat(published.json()["ends_on"]) + timedelta(days=1))
        final = await client.post(f"{API}/publicity/{call['id']}/finalise", headers={**w.city, **if_match(listed)})
        assert final.status_code == 200 and final.json()["selected"] == [first["id"], second["id"]]
        waiting = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert waiting.status_code == 409 and waiting.json()["code"] == "review_round_not_reviewed"
        assert waiting.json()["waiting"] == [unchecked["id"]]
        assert (await w.step(unchecked, "withdraw", w.as_org(unchecked["organisation_id"]))).status_code == 200
        again = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert again.status_code == 201, again.text
        assert [r["application_id"] for r in again.json()["ranking"]] == [late["id"]]
        assert again.json()["review_round"]["number"] == 2

        listing = await client.get(rounds, headers=stack.issuer.headers(["district_officer"], district="huangpu"))
        assert [(r["number"], r["state"], r["publicity_id"]) for r in listing.json()] == [
            (1, "published", published.json()["id"]), (2, "published", again.json()["id"])]

        # a round whose only application the formal check returned lapses when the next one closes; resubmitted, the
        # application joins a later round
        returned = await w.draft(call, await w.org())
        assert (await w.step(returned, "submit", w.as_org(returned["organisation_id"]))).status_code == 200
        third = await client.post(rounds, headers=w.city)
        assert third.status_code == 201 and third.json()["application_ids"] == [returned["id"]]
        assert (await w.step(returned, "formal-check/start", w.city)).status_code == 200
        assert (await w.step(returned, "formal-check/return", w.city, json={"reasons": ["缺少营业执照"]})).status_code == 200
        newcomer = await w.draft(call, await w.org())
        assert (await w.step(newcomer, "submit", w.as_org(newcomer["organisation_id"]))).status_code == 200
        fourth = await client.post(rounds, headers=w.city)
        assert fourth.status_code == 201 and (fourth.json()["number"], fourth.json()["application_ids"]) == (4, [newcomer["id"]])
        assert [r["state"] for r in (await client.get(rounds, headers=w.city)).json()] == ["published", "published", "lapsed", "closed"]

        # a dated call is published once after intake closes: it has no rounds
        dated = await w.open_call(window={"opens_on": DAY.isoformat(), "closes_on": (DAY + timedelta(days=30)).isoformat()})
        refused = await client.post(f"{API}/calls/{dated['id']}/review-rounds", headers=w.city)
        assert refused.status_code == 409 and refused.json()["code"] == "call_not_year_round"
