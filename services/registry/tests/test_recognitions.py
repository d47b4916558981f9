"""Recognitions (认定) are calls and titles (issue 10 §3), over HTTP: a Guangzhou digital-workshop call selects and titles
an enterprise with the facts on NATS; only enterprises apply for enterprise recognitions and only traction units for
the excellent-traction-unit one; Zhongshan's yearly cap of ten demonstration factories holds under parallel decisions.
Also §4: a title comes only through a call of its kind, or directly from a city officer."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Any

from registry.main import create_app
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats, spec_of

from .selection_kit import API, DAY, MATERIALS, World, call_body, if_match, install_clock

# S2 三(五): 聚焦企业应用成效、改造后数字化水平等级、投入产出比等维度 — the weights are the officer's.
RUBRIC = {"criteria": [
    {"code": "application_results", "name_zh": "企业应用成效", "weight": 40, "max_points": "40"},
    {"code": "digital_level", "name_zh": "改造后数字化水平等级", "weight": 30, "max_points": "30"},
    {"code": "input_output", "name_zh": "投入产出比", "weight": 30, "max_points": "30"},
]}
CODES = [c["code"] for c in RUBRIC["criteria"]]


def workshop_call(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": "digital_workshop", "category": None, "sector": "custom_furniture",
                              "title": "2026年广州市数字化车间评选", "rubric": RUBRIC}
    return call_body(**{**fields, **overrides})


async def _apply(w: World, call: dict[str, Any], org_id: str, role: str = "enterprise") -> dict[str, Any]:
    """Draft with materials, submitted, passed by the formal check into expert review."""
    headers = w.as_org(org_id, role)
    created = await w.client.post(f"{API}/calls/{call['id']}/applications", headers=headers,
                                  json={"title": "定制家居数字化车间", "summary": "车间简介", "content": {}})
    assert created.status_code == 201, created.text
    for material in MATERIALS:
        assert (await w.upload(created.json()["id"], headers, material["code"])).status_code == 201
    response = None
    for path, by in (("submit", headers), ("formal-check/start", w.city), ("formal-check/pass", w.city)):
        response = await w.step(created.json(), path, by)
        assert response.status_code == 200, response.text
    assert response is not None
    return dict(response.json())


async def _score(w: World, application_id: str, total: int) -> None:
    for member in (await w.panel(application_id))["members"]:
        sheet = {"scores": {CODES[0]: str(total * 4 / 10), CODES[1]: str(total * 3 / 10), CODES[2]: str(total * 3 / 10)},
                 "comments": {code: "成效明显" for code in CODES}}
        scored = await w.client.put(f"{API}/applications/{application_id}/scores", json=sheet, headers=w.as_expert(member["expert_id"]))
        assert scored.status_code == 200, scored.text


async def test_a_digital_workshop_call_selects_and_titles_an_enterprise(stack: Stack) -> None:
    settings = await stack.settings("registry")
    api = create_app(settings)
    clock = install_clock(api)
    async with AsyncExitStack() as running:
        client = await running.enter_async_context(service_client(api))
        await running.enter_async_context(running_worker(spec_of("registry"), settings))
        w = World(stack, client)
        for _ in range(3):
            await w.expert()

        # the kind is Guangzhou's data: a workshop call names no platform category, and a sector only of the pilot's
        with_category = await client.post(f"{API}/calls", json=workshop_call(category="industrial_internet"), headers=w.city)
        assert with_category.status_code == 422 and with_category.json()["code"] == "call_category_not_applicable"
        not_a_sector = await client.post(f"{API}/calls", json=workshop_call(sector="lighting"), headers=w.city)
        assert not_a_sector.status_code == 422 and not_a_sector.json()["code"] == "call_sector_invalid"
        zhongshan_only = await client.post(f"{API}/calls", json=workshop_call(kind="demonstration_factory", sector=None),
                                           headers=w.city)
        assert zhongshan_only.status_code == 422 and zhongshan_only.json()["code"] == "call_kind_not_in_jurisdiction"
        call = await w.open_call(**workshop_call(cut_rule={"pass_mark": "60", "quota": 1}))
        assert (call["kind"], call["sector"]) == ("digital_workshop", "custom_furniture")

        # an enterprise recognition: a platform may not apply
        platform = await w.org(kind="platform")
        refused = await client.post(f"{API}/calls/{call['id']}/applications", headers=w.as_org(platform),
                                    json={"title": "平台申报", "summary": "", "content": {}})
        assert refused.status_code == 422 and refused.json()["code"] == "organisation_not_eligible"

        best, second = await w.org(kind="enterprise", district="baiyun", name="广州优选家居有限公司"), await w.org(kind="enterprise")
        apps = [await _apply(w, call, best), await _apply(w, call, second)]
        assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).status_code == 200
        for app, total in zip(apps, (88, 75), strict=True):
            await _score(w, app["id"], total)

        published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
        assert published.status_code == 201, published.text
        assert [(r["application_id"], r["outcome"]) for r in published.json()["ranking"]] == [
            (apps[0]["id"], "selected"), (apps[1]["id"], "over_quota")]
        clock.pin(date.fromisoformat(published.json()["ends_on"]) + timedelta(days=1))
        listed = await client.get(f"{API}/publicity/{call['id']}")
        final = await client.post(f"{API}/publicity/{call['id']}/finalise", headers={**w.city, **if_match(listed)})
        assert final.status_code == 200, final.text
        [title] = final.json()["titles"]
        year = clock.today().year
        assert (title["kind"], title["name_zh"], title["number"], title["organisation_id"]) == (
            "digital_workshop", "广州市数字化车间", f"GZSH-DW-{year}-0001", best)

        # §4: the title came through the call of its kind, for the application selected; it is the holder's only one
        held = await client.get(f"{API}/titles", params={"organisation_id": best}, headers=w.city)
        assert [(t["kind"], t["call_id"], t["application_id"]) for t in held.json()] == [("digital_workshop", call["id"], apps[0]["id"])]
        verified = (await client.get(f"{API}/titles/verify/{title['number']}")).json()
        assert (verified["valid"], verified["organisation_name"]) == (True, "广州优选家居有限公司")

        # the facts on NATS carry what funding pays on and evaluation counts: kind code, name, year, clause
        async def granted() -> list[dict[str, Any]]:
            facts = await facts_on_nats(stack, "registry")
            return [f["data"] for f in facts if f["type"].endswith("registry.title.granted.v1")]

        [fact] = await eventually(granted)
        assert (fact["kind"], fact["name_zh"], fact["year"], fact["organisation_id"], fact["call_id"]) == (
            "digital_workshop", "广州市数字化车间", year, best, call["id"])
        assert fact["source"].startswith("S2 二, 三(五)")
        decided = [f["data"] for f in await facts_on_nats(stack, "registry") if f["type"].endswith("application.decided.v1")]
        assert {(d["application_id"], d["decision"]) for d in decided} == {(apps[0]["id"], "selected"), (apps[1]["id"], "rejected")}


async def test_a_title_comes_through_a_call_of_its_kind_or_from_a_city_officer(stack: Stack) -> None:
    """§4 (1) over HTTP: nobody but a city officer grants a title outside a call; the excellent-traction-unit recognition
    takes only holders of a valid traction-unit title (S2 五(九)); a provider recognition only providers."""
    api = create_app(await stack.settings("registry"))
    install_clock(api)
    async with service_client(api) as client:
        w = World(stack, client)
        unit, other, enterprise = await w.org(kind="traction_unit"), await w.org(kind="traction_unit"), await w.org(kind="enterprise")
        grant = {"organisation_id": unit, "kind": "traction_unit", "valid_from": DAY.isoformat()}
        for role in ("district_officer", "provider", "enterprise", "expert"):
            assert (await client.post(f"{API}/titles", json=grant, headers=stack.issuer.headers([role], district="huangpu"))
                    ).status_code == 403
        unknown = await client.post(f"{API}/titles", json={**grant, "kind": "demonstration_factory"}, headers=w.city)
        assert unknown.status_code == 422 and unknown.json()["code"] == "title_kind_unknown"

        excellent = {"organisation_id": unit, "kind": "excellent_traction_unit", "valid_from": DAY.isoformat()}
        before = await client.post(f"{API}/titles", json=excellent, headers=w.city)
        assert before.status_code == 422 and before.json()["code"] == "required_title_missing"
        assert (await client.post(f"{API}/titles", json=grant, headers=w.city)).status_code == 201
        call = await w.open_call(kind="excellent_traction_unit", category=None, sector=None, rubric=RUBRIC,
                                 title="优秀数字化牵引单位遴选")
        body = {"title": "优秀牵引单位申报", "summary": "", "content": {}}
        no_unit = await client.post(f"{API}/calls/{call['id']}/applications", json=body, headers=w.as_org(other))
        assert no_unit.status_code == 422 and no_unit.json()["code"] == "required_title_missing"
        applied = await client.post(f"{API}/calls/{call['id']}/applications", json=body, headers=w.as_org(unit))
        assert applied.status_code == 201, applied.text

        provider_call = await w.open_call(kind="excellent_provider", category=None, sector=None, rubric=RUBRIC,
                                          title="优秀数字化服务商遴选")
        as_enterprise = await client.post(f"{API}/calls/{provider_call['id']}/applications", json=body,
                                          headers=w.as_org(enterprise, "enterprise"))
        assert as_enterprise.status_code == 422 and as_enterprise.json()["code"] == "organisation_not_eligible"
        direct = await client.post(f"{API}/titles", json=excellent, headers=w.city)
        assert direct.status_code == 201 and (direct.json()["kind"], direct.json()["call_id"]) == ("excellent_traction_unit", None)


async def test_zhongshan_grants_ten_demonstration_factories_a_year_under_parallel_decisions(stack: Stack) -> None:
    """S4 一(一): 每年认定不多于10个. Eleven decisions at once: ten titles, the eleventh refused."""
    api = create_app(await stack.settings("registry", jurisdiction="zhongshan"))
    install_clock(api, date(2025, 6, 2))
    async with service_client(api) as client:
        city = stack.issuer.headers(["city_officer"])
        factories = []
        for n in range(11):
            body = {"uscc": make_uscc(900 + n), "name": f"中山示范制造{n}有限公司", "kind": "enterprise", "district": "xiaolan"}
            created = await client.post(f"{API}/organisations", json=body, headers=city)
            assert created.status_code == 201, created.text
            factories.append(created.json()["id"])
        platform = await client.post(f"{API}/organisations", headers=city,
                                     json={"uscc": make_uscc(950), "name": "中山工业互联网平台有限公司", "kind": "platform",
                                           "district": "shiqi"})
        not_enterprise = await client.post(f"{API}/titles", headers=city, json={
            "organisation_id": platform.json()["id"], "kind": "demonstration_factory", "valid_from": "2025-06-02"})
        assert not_enterprise.status_code == 422 and not_enterprise.json()["code"] == "organisation_not_eligible"

        answers = await asyncio.gather(*(
            client.post(f"{API}/titles", json={"organisation_id": org, "kind": "demonstration_factory", "valid_from": "2025-06-02"},
                        headers={**city, "Idempotency-Key": f"factory-{n}"})
            for n, org in enumerate(factories)))
        assert sorted(a.status_code for a in answers) == [201] * 10 + [409]
        [refused] = [a for a in answers if a.status_code == 409]
        assert refused.json()["code"] == "title_annual_quota_reached" and refused.json()["quota"] == 10
        numbers = sorted(a.json()["number"] for a in answers if a.status_code == 201)
        assert numbers == [f"ZSSZ-DF-2025-{n:04d}" for n in range(1, 11)]
        # another kind has its own cap; the workshop is not counted against the factories
        loser = factories[answers.index(refused)]
        workshop = await client.post(f"{API}/titles", headers=city, json={
            "organisation_id": loser, "kind": "demonstration_workshop", "valid_from": "2025-06-02"})
        assert workshop.status_code == 201 and workshop.json()["name_zh"] == "中山市数字化智能化示范车间"


async def test_zhongshan_factory_calls_decided_in_parallel_never_pass_the_yearly_cap(stack: Stack) -> None:
    """S4 一(一) through the call machinery: nine factories recognised this year, two calls each shortlisting one
    enterprise are finalised at the same moment; one grants the tenth title, the other is refused and stays undecided."""
    api = create_app(await stack.settings("registry", jurisdiction="zhongshan"))
    clock = install_clock(api, date(2025, 6, 2))
    async with service_client(api) as client:
        w = World(stack, client)
        for _ in range(3):
            await w.expert()
        factory_call = {"kind": "demonstration_factory", "category": None, "sector": None, "rubric": RUBRIC,
                        "title": "2025年中山市数字化智能化示范工厂认定", "window": {"opens_on": "2025-01-01", "closes_on": None}}
        over_cap = await client.post(f"{API}/calls", json=call_body(**factory_call, cut_rule={"pass_mark": "60", "quota": 11}),
                                     headers=w.city)
        assert over_cap.status_code == 422 and over_cap.json()["code"] == "call_quota_above_annual_cap"
        for _ in range(9):
            granted = await client.post(f"{API}/titles", headers=w.city, json={
                "organisation_id": await w.org(kind="enterprise"), "kind": "demonstration_factory", "valid_from": "2025-03-01"})
            assert granted.status_code == 201, granted.text

        calls, apps = [], []
        for _ in range(2):
            call = await w.open_call(**factory_call, cut_rule={"pass_mark": "60", "quota": 1})
            app = await _apply(w, call, await w.org(kind="enterprise"))
            assert (await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=w.city)).status_code == 200
            await _score(w, app["id"], 90)
            published = await client.post(f"{API}/calls/{call['id']}/publicity", json={}, headers=w.city)
            assert published.status_code == 201, published.text
            calls.append(call)
            apps.append(app)
        clock.pin(date.fromisoformat(published.json()["ends_on"]) + timedelta(days=1))
        etags = [if_match(await client.get(f"{API}/publicity/{c['id']}")) for c in calls]
        answers = await asyncio.gather(*(client.post(f"{API}/publicity/{c['id']}/finalise", headers={**w.city, **etag})
                                         for c, etag in zip(calls, etags, strict=True)))
        assert sorted(a.status_code for a in answers) == [200, 409]
        [won] = [a for a in answers if a.status_code == 200]
        [lost] = [a for a in answers if a.status_code == 409]
        assert lost.json()["code"] == "title_annual_quota_reached"
        assert won.json()["titles"][0]["number"] == "ZSSZ-DF-2025-0010"
        loser = apps[answers.index(lost)]
        assert (await client.get(f"{API}/applications/{loser['id']}", headers=w.city)).json()["state"] == "publicity"
