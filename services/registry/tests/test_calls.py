"""Calls (征集) over HTTP: checked against the jurisdiction, drafts edited, opened and closed with If-Match, published
facts, who may see what, and the public list of open calls."""

from __future__ import annotations

from sqlalchemy import select

from registry.main import create_app
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, World, call_body, if_match

TWO = {"criteria": [{"code": "solution", "name_zh": "解决方案", "weight": 60, "max_points": "60"},
                    {"code": "alliance", "name_zh": "产业生态联合体", "weight": 40, "max_points": "40"}]}


def _fields(response: object) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]  # type: ignore[attr-defined]


async def test_a_call_is_checked_against_the_rules_and_the_jurisdiction(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        bad = {
            "body.rubric.criteria": call_body(rubric={"criteria": [
                {"code": "a", "name_zh": "技术能力", "weight": 50, "max_points": "50"},
                {"code": "b", "name_zh": "服务能力", "weight": 40, "max_points": "40"}]}),
            "body.category": call_body(category="space_mining"),
            "body.sector": call_body(kind="traction_unit", category=None, sector="shipbuilding", rubric=TWO),
            "body.window.closes_on": call_body(window={"opens_on": "2026-03-01", "closes_on": "2026-02-01"}),
            "body.cut_rule": call_body(cut_rule={}),
            "body.required_materials[1].code": call_body(
                required_materials=[{"code": "x", "name_zh": "甲"}, {"code": "x", "name_zh": "乙"}]),
            "body.experts_per_application": call_body(experts_per_application=0),
        }
        for field, body in bad.items():
            response = await client.post(f"{API}/calls", json=body, headers=w.city)
            assert response.status_code == 422, (field, response.text)
            assert _fields(response) == [field], response.text
            error = response.json()["errors"][0]
            assert error["message_zh"] and error["message_en"]
        assert (await client.get(f"{API}/calls", headers=w.city)).json()["total"] == 0  # nothing stored

        provider = w.as_org(await w.org())
        assert (await client.post(f"{API}/calls", json=call_body(), headers=provider)).status_code == 403

        traction = await client.post(f"{API}/calls", headers=w.city, json=call_body(
            kind="traction_unit", category=None, sector="luggage", title="箱包行业数字化牵引单位遴选", rubric=TWO))
        assert traction.status_code == 201, traction.text
        assert (traction.json()["sector"], traction.json()["state"], traction.headers["etag"]) == ("luggage", "draft", '"1"')
        template = await client.post(f"{API}/calls", json=call_body(), headers=w.city)
        criteria = template.json()["rubric"]["criteria"]  # S0 二(二): 技术能力 / 规模实力 / 服务能力
        assert [(c["name_zh"], c["weight"]) for c in criteria] == [("技术能力", 40), ("规模实力", 30), ("服务能力", 30)]


async def test_a_call_goes_from_draft_to_open_to_closed_and_refuses_other_steps(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        provider = w.as_org(await w.org())
        created = await client.post(f"{API}/calls", json=call_body(), headers=w.city)
        call_id = created.json()["id"]
        path = f"{API}/calls/{call_id}"

        # a draft is for officials only, and not on the public list
        assert (await client.get(path, headers=provider)).status_code == 404
        assert (await client.get(f"{API}/calls", headers=provider)).json()["total"] == 0
        assert (await client.get(f"{API}/calls/open")).json()["total"] == 0

        edited = await client.patch(path, json={"cut_rule": {"quota": 5}}, headers={**w.city, **if_match(created)})
        assert edited.status_code == 200 and edited.json()["cut_rule"] == {"pass_mark": "60.00", "quota": 5}
        refused = await client.patch(path, json={"experts_per_application": 0}, headers={**w.city, **if_match(edited)})
        assert refused.status_code == 422 and _fields(refused) == ["body.experts_per_application"]
        assert (await client.get(path, headers=w.city)).json()["version"] == 2  # nothing changed

        assert (await client.post(f"{path}/open", headers=w.city)).status_code == 428
        assert (await client.post(f"{path}/open", headers={**w.city, "If-Match": '"1"'})).status_code == 412
        assert (await client.post(f"{path}/open", headers={**provider, **if_match(edited)})).status_code == 403
        opened = await client.post(f"{path}/open", headers={**w.city, **if_match(edited)})
        assert opened.status_code == 200 and opened.json()["state"] == "open" and opened.json()["allowed_actions"] == ["close"]

        for method, step in (("post", "open"), ("patch", "")):
            again = await client.request(method.upper(), f"{path}/{step}".rstrip("/"), json={} if method == "patch" else None,
                                         headers={**w.city, **if_match(opened)})
            assert again.status_code == 409, again.text
            assert (again.json()["code"], again.json()["allowed"]) == ("transition_not_allowed", ["close"])

        assert (await client.get(path, headers=provider)).json()["state"] == "open"
        assert [c["id"] for c in (await client.get(f"{API}/calls/open")).json()["items"]] == [call_id]  # public
        assert (await client.get(f"{API}/calls")).status_code == 401

        closed = await client.post(f"{path}/close", json={"reason": "本批次申报截止"}, headers={**w.city, **if_match(opened)})
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
        again = await client.post(f"{path}/close", headers={**w.city, **if_match(closed)})
        assert again.status_code == 409 and again.json()["allowed"] == []
        assert (await client.get(f"{API}/calls/open")).json()["total"] == 0

    facts = await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))
    calls = [f.envelope for f in facts if ".call." in f.envelope["type"]]
    assert [(e["type"].split(".")[-2], e["subject"]) for e in calls] == [("opened", call_id), ("closed", call_id)]
    assert calls[1]["data"]["reason"] == "本批次申报截止"
    audited = await rows(settings.database_url, select(audit_log.c.action).where(audit_log.c.entity_id == call_id).order_by(audit_log.c.id))
    assert [a.action for a in audited] == ["call.create", "call.edit", "call.open", "call.close"]
