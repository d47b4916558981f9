"""The pilot pool (诊断+改造入库名单) over HTTP against a real database: enrolment and removal with their facts in
the outbox and their audit entries, the eligibility rules of S2 二 and 三(二), and who may do and see what."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from diagnosis.adapters.readmodels import pilot_pool
from registry.adapters.profile_tables import pilot_pool_enrolments
from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import rows, spec_of

ORGS = "/api/registry/v1/organisations"
POOL = "/api/registry/v1/pilot-pool"

# 85 people and 4,200万元: small (S2 二 via 《中小企业划型标准规定》).
ENROLLED_ON, REMOVED_ON, BACK_ON = date(2026, 2, 10), date(2026, 8, 1), date(2026, 9, 1)  # pinned business dates
SME = {"employees": 85, "revenue_wan": "4200"}
LARGE = {"employees": 1500, "revenue_wan": "50000"}


async def enterprise(client: httpx.AsyncClient, city: dict[str, str], n: int, **fields: Any) -> dict[str, Any]:
    body = {
        "uscc": make_uscc(n), "name": f"试点测试企业{n}", "kind": "enterprise", "district": "baiyun",
        "sector": "custom_furniture", **SME, **fields,
    }
    response = await client.post(ORGS, json=body, headers=city)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def pilot_events(url: str) -> list[tuple[str, dict[str, Any], Any]]:
    found = await rows(url, select(outbox.c.type, outbox.c.envelope).where(outbox.c.type.like("%pilot_pool%")).order_by(outbox.c.seq))
    return [(e.type, e.envelope["data"], e.envelope.get("aggregateversion")) for e in found]


async def pilot_audit(url: str) -> list[tuple[str, str]]:
    query = select(audit_log.c.action, audit_log.c.actor_id).where(audit_log.c.action.like("pilot_pool.%"))
    found = await rows(url, query.order_by(audit_log.c.id))
    return [(a.action, a.actor_id) for a in found]


async def test_enrol_and_remove_publish_facts_and_are_audited(stack: Stack) -> None:
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    settings = await stack.settings("registry", business_date=ENROLLED_ON)
    baiyun = stack.issuer.headers(["district_officer"], district="baiyun", sub="baiyun-1")
    app = create_app(settings)
    async with service_client(app) as client:
        org = await enterprise(client, city, 101)
        enrolled = await client.post(POOL, json={"enterprise_id": org["id"]}, headers=baiyun)
        assert enrolled.status_code == 201, enrolled.text
        membership = enrolled.json()
        assert enrolled.headers["etag"] == '"1"' and enrolled.headers["location"].endswith(membership["id"])
        assert (membership["status"], membership["sector"], membership["district"], membership["size_class"], membership["ordinal"]) == (
            "current", "custom_furniture", "baiyun", "small", 1
        )
        assert membership["enrolled_on"] == ENROLLED_ON.isoformat() and membership["name"] == "试点测试企业101"

        twice = await client.post(POOL, json={"enterprise_id": org["id"]}, headers=city)
        assert twice.status_code == 409 and twice.json()["code"] == "already_enrolled"
        assert twice.json()["enrolment_id"] == membership["id"]

        # an enterprise sees its own membership, and no one else's
        own = stack.issuer.headers(["enterprise"], org=org["id"])
        assert (await client.get(POOL, headers=own)).json()["total"] == 1
        assert (await client.get(f"{POOL}/{membership['id']}", headers=own)).status_code == 200
        stranger = stack.issuer.headers(["enterprise"], org="someone-else")
        assert (await client.get(POOL, headers=stranger)).json()["total"] == 0
        assert (await client.get(f"{POOL}/{membership['id']}", headers=stranger)).status_code == 403
        assert (await client.get(POOL, headers=stack.issuer.headers(["district_officer"], district="huangpu"))).json()["total"] == 0
        assert (await client.get(POOL, headers=stack.issuer.headers(["provider"], org="p"))).status_code == 403

        remove = f"{POOL}/{membership['id']}/remove"
        reason = {"reason": "企业申请退出试点"}
        assert (await client.post(remove, json=reason, headers=baiyun)).status_code == 428
        assert (await client.post(remove, json=reason, headers={**baiyun, "If-Match": '"5"'})).status_code == 412
        assert (await client.post(remove, json={"reason": ""}, headers={**baiyun, "If-Match": '"1"'})).status_code == 422
        app.state.clock.pin(REMOVED_ON)
        removed = await client.post(remove, json=reason, headers={**baiyun, "If-Match": '"1"'})
        assert removed.status_code == 200, removed.text
        assert removed.json()["removed_on"] == REMOVED_ON.isoformat()
        assert (removed.json()["status"], removed.json()["removal_reason"]) == ("removed", "企业申请退出试点")
        assert removed.headers["etag"] == '"2"'
        again = await client.post(remove, json=reason, headers={**baiyun, "If-Match": '"2"'})
        assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"

        assert (await client.get(POOL, headers=city)).json()["total"] == 0
        assert (await client.get(POOL, params={"status": "removed"}, headers=city)).json()["total"] == 1

        # a removed enterprise may come back: a new enrolment, the next ordinal
        app.state.clock.pin(BACK_ON)
        back = await client.post(POOL, json={"enterprise_id": org["id"]}, headers=city)
        assert back.status_code == 201 and back.json()["ordinal"] == 2
        assert (await client.get(POOL, params={"status": "all"}, headers=city)).json()["total"] == 2

    assert await pilot_events(settings.database_url) == [
        ("cn.gov.sihua.registry.pilot_pool.enterprise_enrolled.v1",
         {"enterprise_id": org["id"], "uscc": make_uscc(101), "sector": "custom_furniture", "district": "baiyun",
          "size_class": "small", "enrolled_on": ENROLLED_ON.isoformat()}, 1),
        ("cn.gov.sihua.registry.pilot_pool.enterprise_removed.v1",
         {"enterprise_id": org["id"], "uscc": make_uscc(101), "reason": "企业申请退出试点", "removed_on": REMOVED_ON.isoformat()}, 2),
        ("cn.gov.sihua.registry.pilot_pool.enterprise_enrolled.v1",
         {"enterprise_id": org["id"], "uscc": make_uscc(101), "sector": "custom_furniture", "district": "baiyun",
          "size_class": "small", "enrolled_on": BACK_ON.isoformat()}, 3),
    ]
    assert await pilot_audit(settings.database_url) == [
        ("pilot_pool.enrol", "baiyun-1"), ("pilot_pool.remove", "baiyun-1"), ("pilot_pool.enrol", "city-1")
    ]
    query = select(pilot_pool_enrolments.c.ordinal, pilot_pool_enrolments.c.removed_by).order_by(pilot_pool_enrolments.c.ordinal)
    stored = await rows(settings.database_url, query)
    assert [tuple(r) for r in stored] == [(1, "baiyun-1"), (2, None)]


async def test_enrolment_is_refused_for_a_large_or_unsized_enterprise(stack: Stack) -> None:
    city = stack.issuer.headers(["city_officer"])
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        large = await enterprise(client, city, 111, **LARGE)
        assert large["size_class"] == "large"
        refused = await client.post(POOL, json={"enterprise_id": large["id"]}, headers=city)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert (problem["code"], problem["reasons"]) == ("not_eligible", ["not_sme"])
        assert [(e["field"], e["message_zh"]) for e in problem["errors"]] == [
            ("organisation.size_class", "该企业为大型企业，不属于中小企业，不能纳入试点")
        ]
        unsized = await enterprise(client, city, 112, employees=None, revenue_wan=None)
        refused = await client.post(POOL, json={"enterprise_id": unsized["id"]}, headers=city)
        assert refused.status_code == 422 and refused.json()["reasons"] == ["size_unknown"]
        # 1,500 people but 30,000万元: an SME (medium) — large needs both thresholds
        medium = await enterprise(client, city, 113, employees=1500, revenue_wan="30000")
        accepted = await client.post(POOL, json={"enterprise_id": medium["id"]}, headers=city)
        assert accepted.status_code == 201 and accepted.json()["size_class"] == "medium"
    assert [kind for kind, _, _ in await pilot_events(settings.database_url)] == ["cn.gov.sihua.registry.pilot_pool.enterprise_enrolled.v1"]
    assert len(await rows(settings.database_url, select(pilot_pool_enrolments))) == 1


async def test_enrolment_is_refused_outside_the_pilot_sectors(stack: Stack) -> None:
    city = stack.issuer.headers(["city_officer"])
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        no_sector = await enterprise(client, city, 121, sector=None, industry_code="C3311")
        refused = await client.post(POOL, json={"enterprise_id": no_sector["id"]}, headers=city)
        assert refused.status_code == 422 and refused.json()["reasons"] == ["not_pilot_sector"]
        assert refused.json()["errors"][0]["field"] == "organisation.sector"
        # 箱包 is carried out in 花都 and 白云 only (S2 三(二))
        luggage_tianhe = await enterprise(client, city, 122, sector="luggage", district="tianhe")
        refused = await client.post(POOL, json={"enterprise_id": luggage_tianhe["id"]}, headers=city)
        assert refused.status_code == 422 and refused.json()["reasons"] == ["sector_not_in_district"]
        assert refused.json()["errors"][0]["field"] == "organisation.district" and "花都区" in refused.json()["errors"][0]["message_zh"]
        # every unmet condition is reported at once
        neither = await enterprise(client, city, 123, sector=None, **LARGE)
        refused = await client.post(POOL, json={"enterprise_id": neither["id"]}, headers=city)
        assert refused.json()["reasons"] == ["not_sme", "not_pilot_sector"]
        provider = await enterprise(client, city, 124, kind="platform")
        refused = await client.post(POOL, json={"enterprise_id": provider["id"]}, headers=city)
        assert refused.status_code == 422 and refused.json()["reasons"] == ["not_an_enterprise"]
        missing = await client.post(POOL, json={"enterprise_id": "no-such-org"}, headers=city)
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.enterprise_id"
    assert await pilot_events(settings.database_url) == []


async def test_enrolment_and_removal_are_refused_in_another_district(stack: Stack) -> None:
    city = stack.issuer.headers(["city_officer"])
    settings = await stack.settings("registry")
    huangpu = stack.issuer.headers(["district_officer"], district="huangpu")
    async with service_client(create_app(settings)) as client:
        org = await enterprise(client, city, 131)  # in 白云
        refused = await client.post(POOL, json={"enterprise_id": org["id"]}, headers=huangpu)
        assert refused.status_code == 403 and refused.json()["code"] == "outside_district"
        own = stack.issuer.headers(["enterprise"], org=org["id"])
        as_enterprise = await client.post(POOL, json={"enterprise_id": org["id"]}, headers=own)
        assert as_enterprise.status_code == 403 and as_enterprise.json()["code"] == "role_required"
        enrolled = (await client.post(POOL, json={"enterprise_id": org["id"]}, headers=city)).json()
        removal = await client.post(
            f"{POOL}/{enrolled['id']}/remove", json={"reason": "越区移出"}, headers={**huangpu, "If-Match": '"1"'}
        )
        assert removal.status_code == 403
        assert (await client.get(f"{POOL}/{enrolled['id']}", headers=huangpu)).status_code == 403
    assert [kind.split(".")[-2] for kind, _, _ in await pilot_events(settings.database_url)] == ["enterprise_enrolled"]


async def test_membership_reaches_the_other_services(stack: Stack) -> None:
    """The fact the other services act on: diagnosis keeps the pool in its read model."""
    city = stack.issuer.headers(["city_officer"])
    settings = await stack.settings("registry")
    diagnosis = await stack.settings("diagnosis")
    async with (
        service_client(create_app(settings)) as client,
        running_worker(SPEC, settings),
        running_worker(spec_of("diagnosis"), diagnosis),
    ):
        org = await enterprise(client, city, 141)
        assert (await client.post(POOL, json={"enterprise_id": org["id"]}, headers=city)).status_code == 201

        async def held() -> list[Any]:
            return await rows(diagnosis.database_url, select(pilot_pool))

        found = await eventually(held)
    assert [(p.enterprise_id, p.sector, p.district, p.size_class, p.removed_on) for p in found] == [
        (org["id"], "custom_furniture", "baiyun", "small", None)
    ]
