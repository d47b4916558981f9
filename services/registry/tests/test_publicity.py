"""Publicity (公示) and the decision over HTTP: the ranked result by the cut rule, a period of working days on the
holiday calendar, the public list and its exports, objections filed and resolved, and the rules of finalising."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from registry.main import create_app
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, World, call_body, if_match, install_clock

WINDOW = {"opens_on": "2025-01-01", "closes_on": None}
# Friday 26 September 2025: five working days run over the weekend's adjusted working day (Sunday 28 September) and
# past the National Day holiday (1–8 October) to Thursday 9 October.
PUBLISHED_ON, LAST_DAY = date(2025, 9, 26), date(2025, 10, 9)


async def _reviewed(w: World, call: dict[str, Any], totals: list[int]) -> list[dict[str, Any]]:
    """One application per total, each scored that total by all three experts."""
    apps = [await w.in_review(call, await w.org(name=f"候选平台{total}有限公司")) for total in totals]
    assigned = await w.client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)
    assert assigned.status_code == 200, assigned.text
    for app, total in zip(apps, totals, strict=True):
        await w.score_all(app["id"], [total] * 3)
    return apps


async def _state(w: World, app: dict[str, Any]) -> str:
    return str((await w.client.get(f"{API}/applications/{app['id']}", headers=w.city)).json()["state"])


async def test_publicity_objection_and_final_decision(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    clock = install_clock(api, date(2025, 9, 15))
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        call = await w.open_call(window=WINDOW, cut_rule={"pass_mark": "60", "quota": 2})
        publish = f"{API}/calls/{call['id']}/publicity"
        early = await w.in_review(call, await w.org())
        nothing = await client.post(publish, json={}, headers=w.city)
        assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_publish"
        await w.step(early, "withdraw", w.as_org(early["organisation_id"]))

        first, second, third, low = await _reviewed(w, call, [90, 80, 70, 50])
        clock.pin(PUBLISHED_ON)
        assert (await client.post(publish, json={}, headers=w.as_org(first["organisation_id"]))).status_code == 403
        published = await client.post(publish, json={}, headers=w.city)
        assert published.status_code == 201, published.text
        assert (published.json()["starts_on"], published.json()["ends_on"], published.json()["working_days"]) == (
            "2025-09-26", LAST_DAY.isoformat(), 5)
        outcomes = {r["application_id"]: (r["rank"], r["outcome"]) for r in published.json()["ranking"]}
        assert outcomes == {first["id"]: (1, "selected"), second["id"]: (2, "selected"), third["id"]: (3, "over_quota"),
                            low["id"]: (4, "below_pass_mark")}
        assert [await _state(w, a) for a in (first, second, third, low)] == ["publicity", "publicity", "rejected", "rejected"]
        assert (await client.post(publish, json={}, headers=w.city)).json()["code"] == "publicity_running"

        # the list is public: JSON, XLSX and CSV with Chinese headers
        listed = await client.get(f"{API}/publicity/{call['id']}")
        assert listed.status_code == 200
        assert [(i["rank"], i["organisation_name"], i["final_score"], i["status_zh"]) for i in listed.json()["items"]] == [
            (1, "候选平台90有限公司", "90.00", "公示中"), (2, "候选平台80有限公司", "80.00", "公示中")]
        sheet = load_workbook(io.BytesIO((await client.get(f"{API}/publicity/{call['id']}", params={"format": "xlsx"})).content)).active
        assert sheet is not None and [c.value for c in sheet[1]] == ["排名", "单位名称", "统一社会信用代码", "综合得分", "状态"]
        assert sheet["B2"].value == "候选平台90有限公司"
        csv = (await client.get(f"{API}/publicity/{call['id']}", params={"format": "csv"})).content
        assert csv.startswith(b"\xef\xbb\xbf") and "候选平台80有限公司" in csv.decode("utf-8-sig")

        # objections: any signed-in user, on a publicised application, while publicity runs
        objector = w.as_org(low["organisation_id"])
        objections = f"{API}/publicity/{call['id']}/objections"
        body = {"application_id": first["id"], "reasons": "该平台服务企业数量与实际不符"}
        assert (await client.post(objections, json=body)).status_code == 401
        not_listed = await client.post(objections, json={**body, "application_id": third["id"]}, headers=objector)
        assert not_listed.status_code == 422 and not_listed.json()["errors"][0]["field"] == "body.application_id"
        unknown = await client.post(objections, json={**body, "application_id": "no-such-application"}, headers=objector)
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.application_id"
        filed = await client.post(objections, json=body, headers={**objector, "Idempotency-Key": "objection-1"})
        assert filed.status_code == 201 and filed.json()["state"] == "open" and filed.json()["filed_by"] is None
        replayed = await client.post(objections, json=body, headers={**objector, "Idempotency-Key": "objection-1"})
        assert replayed.headers["idempotent-replayed"] == "true" and replayed.json()["id"] == filed.json()["id"]
        assert (await client.get(objections, headers=w.city)).json()["items"][0]["filed_by"]  # who objected: officials only
        assert (await client.get(objections, headers=w.as_org(second["organisation_id"]))).json()["total"] == 0
        assert (await client.get(objections, headers=objector)).json()["total"] == 1

        finalise = f"{API}/publicity/{call['id']}/finalise"
        clock.pin(LAST_DAY)
        too_early = await client.post(finalise, headers={**w.city, **if_match(listed)})
        assert too_early.status_code == 409 and too_early.json()["code"] == "publicity_not_over"
        clock.advance(1)
        late = await client.post(objections, json=body, headers=objector)
        assert late.status_code == 409 and late.json()["code"] == "publicity_not_running"
        blocked = await client.post(finalise, headers={**w.city, **if_match(listed)})
        assert blocked.status_code == 409 and blocked.json()["code"] == "objection_open"

        resolve = f"{API}/objections/{filed.json()['id']}/resolve"
        verdict = {"upheld": False, "resolution": "经核查，服务企业数量有合同佐证，异议不成立"}
        assert (await client.post(resolve, json=verdict, headers={**objector, **if_match(filed)})).status_code == 403
        assert (await client.post(resolve, json=verdict, headers=w.city)).status_code == 428
        resolved = await client.post(resolve, json=verdict, headers={**w.city, **if_match(filed)})
        assert resolved.status_code == 200 and resolved.json()["state"] == "dismissed"
        again = await client.post(resolve, json=verdict, headers={**w.city, **if_match(resolved)})
        assert again.status_code == 409 and again.json()["allowed"] == []

        assert (await client.post(finalise, headers=w.city)).status_code == 428
        final = await client.post(finalise, headers={**w.city, **if_match(listed)})
        assert final.status_code == 200, final.text
        assert final.json()["selected"] == [first["id"], second["id"]]
        titles = final.json()["titles"]
        assert [(t["number"], t["name_zh"], t["valid_from"]) for t in titles] == [
            ("GZSH-KP-2025-0001", "广州市四化赋能重点平台", "2025-10-10"), ("GZSH-KP-2025-0002", "广州市四化赋能重点平台", "2025-10-10")]
        assert [await _state(w, a) for a in (first, second)] == ["selected", "selected"]
        assert (await client.post(finalise, headers={**w.city, **if_match(final)})).status_code == 409
        after = (await client.get(f"{API}/publicity/{call['id']}")).json()
        assert (after["state"], [i["status_zh"] for i in after["items"]]) == ("finalised", ["已入选", "已入选"])

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    decided = [(e["subject"], e["data"]["decision"], e["data"]["rank"]) for e in facts if e["type"].endswith("application.decided.v1")]
    assert decided == [(third["id"], "rejected", 3), (low["id"], "rejected", 4),
                       (first["id"], "selected", 1), (second["id"], "selected", 2)]
    kinds = [e["type"].split(".")[-3] + "." + e["type"].split(".")[-2] for e in facts]
    assert kinds.count("objection.filed") == 1 and kinds.count("objection.resolved") == 1 and kinds.count("title.granted") == 2


async def test_an_upheld_objection_rejects_and_a_tie_on_the_quota_line_is_not_published(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    clock = install_clock(api, date(2025, 9, 15))
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        tie = await w.open_call(window=WINDOW, cut_rule={"quota": 1}, title="同分测试")
        await _reviewed(w, tie, [80, 80])
        tied = await client.post(f"{API}/calls/{tie['id']}/publicity", json={}, headers=w.city)
        assert tied.status_code == 409 and tied.json()["code"] == "tie_at_cut" and len(tied.json()["applications"]) == 2
        assert (await client.get(f"{API}/applications", params={"call_id": tie["id"], "state": "expert_review"},
                                 headers=w.city)).json()["total"] == 2  # nothing changed

        call = await w.open_call(window=WINDOW, cut_rule={"pass_mark": "60"}, spread_limit="10")
        first, second = await _reviewed(w, call, [88, 77])
        flagged = await w.in_review(call, await w.org())
        await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)
        await w.score_all(flagged["id"], [95, 80, 65])  # spread 30 > 10: waits for the chair
        clock.pin(PUBLISHED_ON)
        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={"working_days": 3}, headers=w.city)
        assert published.status_code == 201 and published.json()["waiting"] == [flagged["id"]]
        assert published.json()["ends_on"] == "2025-09-29"  # Fri 26, Sun 28 (adjusted working day), Mon 29
        assert await _state(w, flagged) == "expert_review"

        filed = await client.post(f"{API}/publicity/{call['id']}/objections", headers=stack.issuer.headers(["enterprise"], org="x"),
                                  json={"application_id": first["id"], "reasons": "申报材料中的业绩合同系伪造"})
        resolved = await client.post(f"{API}/objections/{filed.json()['id']}/resolve", headers={**w.city, **if_match(filed)},
                                     json={"upheld": True, "resolution": "经核查，业绩合同不实，异议成立"})
        assert resolved.status_code == 200 and resolved.json()["state"] == "upheld"
        assert await _state(w, first) == "rejected"
        clock.pin(date(2025, 10, 1))
        current = await client.get(f"{API}/publicity/{call['id']}")
        final = await client.post(f"{API}/publicity/{call['id']}/finalise", headers={**w.city, **if_match(current)})
        assert final.status_code == 200 and final.json()["selected"] == [second["id"]] and len(final.json()["titles"]) == 1
        assert [i["status"] for i in (await client.get(f"{API}/publicity/{call['id']}")).json()["items"]] == ["rejected", "selected"]


async def test_a_call_opens_on_its_day_and_a_dated_call_is_published_only_after_intake_closes(stack: Stack) -> None:
    """Issue 10 §4: no call opens before its ``opens_on``; a dated call's publicity starts only once intake has closed."""
    settings = await stack.settings("registry")
    api = create_app(settings)
    clock = install_clock(api, date(2025, 9, 15))
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        later = (await client.post(f"{API}/calls", headers=w.city, json=call_body(
            window={"opens_on": "2025-09-16", "closes_on": None}, title="明日征集"))).json()
        early = await client.post(f"{API}/calls/{later['id']}/open", headers={**w.city, **if_match_version(later)})
        assert early.status_code == 409 and early.json()["code"] == "call_opens_later", early.text
        assert (await client.get(f"{API}/calls/{later['id']}", headers=w.city)).json()["state"] == "draft"

        dated = await w.open_call(window={"opens_on": "2025-09-01", "closes_on": "2025-09-30"}, title="限期征集")
        await w.reviewed(dated, [90])
        publish = f"{API}/calls/{dated['id']}/publicity"
        clock.pin(date(2025, 9, 30))  # the last day still takes applications
        refused = await client.post(publish, json={}, headers=w.city)
        assert refused.status_code == 409 and refused.json()["code"] == "intake_not_closed", refused.text
        current = (await client.get(f"{API}/calls/{dated['id']}", headers=w.city)).json()
        closed = await client.post(f"{API}/calls/{dated['id']}/close", json={}, headers={**w.city, **if_match_version(current)})
        assert closed.status_code == 200, closed.text
        assert (await client.post(publish, json={}, headers=w.city)).status_code == 201
        clock.pin(date(2025, 9, 16))
        opened = await client.post(f"{API}/calls/{later['id']}/open", headers={**w.city, **if_match_version(later)})
        assert opened.status_code == 200 and opened.json()["state"] == "open"


def if_match_version(view: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{view["version"]}"'}
