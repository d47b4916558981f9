"""The registry's facts for the services downstream (issue 10 §2), each from its use case over HTTP, audited, in the
outbox in the use case's transaction, and on NATS: the expert pool (profile with district and declared conflicts;
leaving on withdrawal or deactivation), declared relationships, 产业生态联合体 partners, 特色产业集群 members, and
the systems an enterprise runs."""

from __future__ import annotations

from typing import Any

import httpx
from nats.js.errors import NotFoundError
from sqlalchemy import select

from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats, rows

from .selection_kit import API, DAY, World, if_match

TYPE = "cn.gov.sihua.registry.{}.v1"
FACTS = ("expert.profile_set", "expert.left_pool", "relationship.declared", "relationship.withdrawn",
         "ecosystem.partner_confirmed", "ecosystem.partner_ended", "cluster.member_approved", "cluster.member_removed",
         "organisation.updated")


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def _expert_pool(w: World, conflicted: str) -> str:
    client, city = w.client, w.city
    expert = await w.expert()
    profile = f"{API}/experts/{expert}/profile"
    body = {"fields": ["智能制造", "工业互联网"], "can_chair": True, "district": "baiyun", "declared_conflicts": [conflicted]}
    first = await _ok(await client.put(profile, json=body, headers=city))
    assert (first["district"], first["declared_conflicts"], first["version"]) == ("baiyun", [conflicted], 1)
    for bad, field in (({**body, "district": "atlantis"}, "body.district"),
                       ({**body, "declared_conflicts": ["00000000-0000-4000-8000-000000000000"]}, "body.declared_conflicts")):
        refused = await client.put(profile, json=bad, headers=city)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    await _ok(await client.put(profile, json={**body, "district": None}, headers=city))  # version 2
    account = await _ok(await client.get(f"{API}/accounts/{expert}", headers=city))
    off = await client.post(f"{API}/accounts/{expert}/deactivate", headers={**city, "If-Match": f'"{account["version"]}"'})
    assert off.status_code == 200, off.text  # version 3: left the pool
    on = await client.post(f"{API}/accounts/{expert}/activate", headers={**city, **if_match(off)})
    assert on.status_code == 200, on.text  # version 4: back in the pool
    withdrawn = await _ok(await client.post(f"{API}/experts/{expert}/withdraw", json={"reason": "本人申请退出专家库"}, headers=city))
    assert withdrawn["version"] == 5
    again = await client.post(f"{API}/experts/{expert}/withdraw", json={"reason": "本人申请退出专家库"}, headers=city)
    assert again.status_code in (404, 409), again.text  # no longer an expert
    pool = await client.get(f"{API}/experts", headers=city)
    assert all(e["account_id"] != expert for e in pool.json())  # no panel draws them any more
    return expert


async def _relationship(w: World, a: str, b: str) -> str:
    rel = await _ok(await w.client.post(f"{API}/organisations/{a}/relationships", headers=w.city,
                                        json={"related_organisation_id": b, "kind": "group_membership"}), 201)
    gone = await w.client.delete(f"{API}/organisations/{a}/relationships/{rel['id']}", params={"reason": "股权已转让"},
                                 headers=w.city)
    assert gone.status_code == 204, gone.text
    return str(rel["id"])


async def _ecosystem(w: World) -> tuple[str, str, str]:
    client = w.client
    unit, partner, other = await w.org("traction_unit"), await w.org("platform"), await w.org("diagnosis_provider")
    enterprise, titled = await w.org("enterprise"), await w.org("platform")
    memberships = f"{API}/ecosystem-memberships"
    unit_headers = w.as_org(unit)

    not_unit = await client.post(memberships, json={"partner_id": partner}, headers=w.as_org(titled))
    assert not_unit.status_code == 409 and not_unit.json()["code"] == "not_a_traction_unit", not_unit.text
    await _ok(await client.post(f"{API}/titles", headers=w.city,
                                json={"organisation_id": titled, "kind": "traction_unit", "valid_from": "2026-01-01"}), 201)
    await _ok(await client.post(memberships, json={"partner_id": partner}, headers=w.as_org(titled)), 201)  # a titled one may

    not_provider = await client.post(memberships, json={"partner_id": enterprise}, headers=unit_headers)
    assert not_provider.status_code == 422 and not_provider.json()["code"] == "not_a_provider", not_provider.text
    someone_else = await client.post(memberships, json={"partner_id": partner, "traction_unit_id": unit}, headers=w.as_org(other))
    assert someone_else.status_code == 403, someone_else.text

    declared = await client.post(memberships, json={"partner_id": partner, "note": "联合开发家居行业解决方案"}, headers=unit_headers)
    membership = await _ok(declared, 201)
    assert (membership["state"], membership["traction_unit_id"], membership["partner_name"]) == ("declared", unit,
                                                                                                  membership["partner_name"])
    twice = await client.post(memberships, json={"partner_id": partner}, headers=unit_headers)
    assert twice.status_code == 409 and twice.json()["code"] == "already_partner"
    # only the partner confirms; the traction unit cannot confirm for it
    by_unit = await client.post(f"{memberships}/{membership['id']}/confirm", headers={**unit_headers, **if_match(declared)})
    assert by_unit.status_code == 403, by_unit.text
    confirmed = await client.post(f"{memberships}/{membership['id']}/confirm", headers={**w.as_org(partner), **if_match(declared)})
    assert (await _ok(confirmed))["state"] == "confirmed"
    stale = await client.post(f"{memberships}/{membership['id']}/end", json={"reason": "合作协议到期"},
                              headers={**unit_headers, **if_match(declared)})
    assert stale.status_code == 412, stale.text
    ended = await client.post(f"{memberships}/{membership['id']}/end", json={"reason": "合作协议到期"},
                              headers={**unit_headers, **if_match(confirmed)})
    assert (await _ok(ended))["state"] == "ended"
    over = await client.post(f"{memberships}/{membership['id']}/end", json={"reason": "合作协议到期"},
                             headers={**w.city, **if_match(ended)})
    assert over.status_code == 409, over.text

    declined_one = await _ok(await client.post(memberships, json={"partner_id": other}, headers=unit_headers), 201)
    declined = await client.post(f"{memberships}/{declined_one['id']}/decline", json={"reason": "暂无合作意向"},
                                 headers={**w.as_org(other, "provider"), "If-Match": '"1"'})
    assert (await _ok(declined))["state"] == "declined"

    mine = await _ok(await client.get(memberships, headers=w.as_org(partner)))
    assert {m["traction_unit_id"] for m in mine["items"]} == {unit, titled}
    assert (await _ok(await client.get(memberships, headers=w.as_org(enterprise, "enterprise"))))["total"] == 0
    return unit, partner, membership["id"]


async def _cluster(w: World) -> tuple[str, str, str]:
    client = w.client
    body_org = await w.org("cluster_body", "baiyun", "白云区定制家居产业集群促进会")
    member, elsewhere = await w.org("enterprise", "baiyun"), await w.org("enterprise", "huangpu")
    body_headers = w.stack.issuer.headers(["cluster_body"], org=body_org)
    cluster_in = {"name": "白云区定制家居产业集群", "district": "baiyun", "sector": "custom_furniture"}
    stranger = await client.post(f"{API}/clusters", json={**cluster_in, "cluster_body_id": body_org},
                                 headers=w.stack.issuer.headers(["cluster_body"], org=member))
    assert stranger.status_code == 403, stranger.text
    bad_sector = await client.post(f"{API}/clusters", json={**cluster_in, "sector": "spaceships"}, headers=body_headers)
    assert bad_sector.status_code == 422, bad_sector.text
    cluster = await _ok(await client.post(f"{API}/clusters", json=cluster_in, headers=body_headers), 201)
    assert cluster["cluster_body_id"] == body_org
    again = await client.post(f"{API}/clusters", json=cluster_in, headers=body_headers)
    assert again.status_code == 409 and again.json()["code"] == "cluster_exists"

    baiyun = w.stack.issuer.headers(["district_officer"], district="baiyun")
    huangpu = w.stack.issuer.headers(["district_officer"], district="huangpu")
    members = f"{API}/clusters/{cluster['id']}/members"
    assert (await client.post(members, json={"enterprise_id": member}, headers=huangpu)).status_code == 403
    outside = await client.post(members, json={"enterprise_id": elsewhere}, headers=baiyun)
    assert outside.status_code == 422 and outside.json()["code"] == "outside_cluster_district", outside.text
    recommended = await client.post(members, json={"enterprise_id": member, "note": "区级推荐"}, headers=baiyun)
    row = await _ok(recommended, 201)
    assert row["state"] == "recommended" and recommended.headers["location"].endswith(f"/cluster-members/{row['id']}")
    decided = f"{API}/cluster-members/{row['id']}"
    assert (await client.post(f"{decided}/approve", headers={**baiyun, **if_match(recommended)})).status_code == 403
    approved = await client.post(f"{decided}/approve", headers={**w.city, **if_match(recommended)})
    assert (await _ok(approved))["state"] == "approved"
    listed = await _ok(await client.get(members, headers=body_headers))
    assert [m["enterprise_id"] for m in listed["items"]] == [member]
    assert (await _ok(await client.get(members, headers=huangpu)))["total"] == 0
    assert (await client.get(decided, headers=w.as_org(elsewhere, "enterprise"))).status_code == 403
    assert (await _ok(await client.get(decided, headers=w.as_org(member, "enterprise"))))["state"] == "approved"
    removed = await client.post(f"{decided}/remove", json={"reason": "企业迁出本区"}, headers={**baiyun, **if_match(approved)})
    assert (await _ok(removed))["state"] == "removed"
    return body_org, member, row["id"]


async def _systems(w: World, enterprise: str) -> str:
    registered = await _ok(await w.client.post(f"{API}/organisations", headers=w.city, json={
        "uscc": make_uscc(777), "name": "系统测试制造有限公司", "kind": "enterprise", "district": "baiyun",
        "systems": ["wms", "crm"]}), 201)
    assert registered["systems"] == ["wms", "crm"] and registered["systems_zh"] == ["WMS 仓储管理系统", "CRM 客户关系管理"]
    url = f"{API}/organisations/{enterprise}"
    current = await w.client.get(url, headers=w.city)
    unknown = await w.client.patch(url, json={"systems": ["erp", "quantum"]}, headers={**w.as_org(enterprise, "enterprise"),
                                                                                        **if_match(current)})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.systems", unknown.text
    changed = await w.client.patch(url, json={"systems": ["mes", "erp"]}, headers={**w.as_org(enterprise, "enterprise"),
                                                                                    **if_match(current)})
    body = await _ok(changed)
    assert body["systems"] == ["erp", "mes"]  # in the catalogue's order
    assert body["systems_zh"] == ["ERP 企业资源计划", "MES 制造执行系统"]
    return str(registered["id"])


async def test_the_facts_the_next_services_need_are_published_from_their_use_cases(stack: Stack) -> None:
    settings = await stack.settings("registry", business_date=DAY)
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        conflicted, related = await w.org("platform"), await w.org("third_party")
        expert = await _expert_pool(w, conflicted)
        relationship = await _relationship(w, conflicted, related)
        unit, partner, membership = await _ecosystem(w)
        body_org, member, cluster_member = await _cluster(w)
        with_systems = await _systems(w, member)

        async with running_worker(SPEC, settings):
            async def published() -> list[dict[str, Any]] | None:
                try:
                    found = await facts_on_nats(stack, "registry")
                except (TimeoutError, NotFoundError):  # the worker creates the stream as it starts
                    return None
                seen = {f["type"] for f in found}
                return found if all(TYPE.format(t) in seen for t in FACTS) else None

            on_nats: list[dict[str, Any]] = await eventually(published, timeout=30, interval=0.3)

            async def filed() -> list[str] | None:  # the enterprise file (一企一档) keeps its cluster membership
                file = await _ok(await client.get(f"{API}/enterprises/{member}/file", headers=w.city))
                kinds = [e["event_type"] for e in file["items"] if ".cluster." in e["event_type"]]
                return kinds if len(kinds) == 2 else None

            assert await eventually(filed, timeout=30, interval=0.3) == [TYPE.format("cluster.member_approved"),
                                                                          TYPE.format("cluster.member_removed")]

    in_outbox = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    for facts in (in_outbox, on_nats):
        def of(name: str, facts: list[dict[str, Any]] = facts) -> list[dict[str, Any]]:
            return [f for f in facts if f["type"] == TYPE.format(name)]

        pool = [f for f in facts if f["subject"] == expert and f["type"].startswith(TYPE.format("expert.")[:-3])]
        assert [(f["type"].split(".")[-2], f["aggregateversion"]) for f in pool] == [
            ("profile_set", 1), ("profile_set", 2), ("left_pool", 3), ("profile_set", 4), ("left_pool", 5)]
        assert pool[0]["data"] == {"expert_account_id": expert, "display_name": pool[0]["data"]["display_name"], "organisation_id": None,
                                   "fields": ["工业互联网", "智能制造"], "district": "baiyun", "can_chair": True,
                                   "declared_conflicts": [conflicted], "active": True, "version": 1}
        assert pool[1]["data"]["district"] is None

        assert [f["data"] for f in of("relationship.declared")] == [
            {"relationship_id": relationship, "organisation_a_id": conflicted, "organisation_b_id": related,
             "kind": "group_membership", "declared_on": DAY.isoformat()}]
        assert [(f["data"]["reason"], f["aggregateversion"]) for f in of("relationship.withdrawn")] == [("股权已转让", 2)]

        confirmed = [f for f in of("ecosystem.partner_confirmed") if f["subject"] == membership]
        assert [(f["data"]["traction_unit_id"], f["data"]["partner_id"], f["data"]["confirmed_on"], f["aggregateversion"])
                for f in confirmed] == [(unit, partner, DAY.isoformat(), 2)]
        assert [(f["data"]["membership_id"], f["data"]["reason"], f["aggregateversion"]) for f in of("ecosystem.partner_ended")] == [
            (membership, "合作协议到期", 3)]

        approved = of("cluster.member_approved")
        assert [(f["data"]["cluster_body_id"], f["data"]["enterprise_id"], f["data"]["cluster_name"], f["data"]["district"],
                 f["aggregateversion"]) for f in approved] == [(body_org, member, "白云区定制家居产业集群", "baiyun", 2)]
        assert [(f["data"]["membership_id"], f["data"]["reason"], f["aggregateversion"]) for f in of("cluster.member_removed")] == [
            (cluster_member, "企业迁出本区", 3)]

        updates = [f for f in of("organisation.updated") if f["subject"] == member]
        assert [f["data"]["systems"] for f in updates] == [["erp", "mes"]]
        assert [f["data"]["systems"] for f in of("organisation.registered") if f["subject"] == with_systems] == [["wms", "crm"]]

    audited = {r.action for r in await rows(settings.database_url, select(audit_log.c.action))}
    assert {"expert.profile.set", "expert.withdraw", "organisation.relationship.declare", "organisation.relationship.delete",
            "ecosystem.declare", "ecosystem.confirm", "ecosystem.decline", "ecosystem.end", "cluster.create",
            "cluster.member.recommend", "cluster.member.approve", "cluster.member.remove"} <= audited


async def test_a_conflict_declared_in_the_profile_keeps_the_expert_off_the_panel(stack: Stack) -> None:
    """The profile's declared conflicts are conflict data for the registry's own draw too (sihua_shared.panel)."""
    settings = await stack.settings("registry", business_date=DAY)
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        applicant, holding = await w.org(), await w.org()
        await w.relate(applicant, holding)
        declared = await w.expert()
        profile = await client.put(f"{API}/experts/{declared}/profile", headers=w.city,
                                   json={"fields": [], "declared_conflicts": [holding]})  # related to the applicant
        assert profile.status_code == 200, profile.text
        eligible = [await w.expert() for _ in range(3)]
        call = await w.open_call(experts_per_application=3)
        app = await w.in_review(call, applicant)
        assigned = await client.post(f"{API}/calls/{call['id']}/assignments", json={"seed": "7"}, headers=w.city)
        assert assigned.status_code == 200, assigned.text
        panel = await w.panel(app["id"])
    assert {m["expert_id"] for m in panel["members"]} == set(eligible)
    assert {e["expert_id"]: e["reason"] for e in panel["draw"]["excluded"]} == {declared: "declared_conflict"}
