"""Issue 16 §1: one journey through all five services, over real NATS and PostgreSQL, every api over HTTP and every
worker running — nothing injected, each fact from the service that owns it.

Guangzhou: a call opens; a platform applies, is reviewed and titled; a traction unit is selected the same way; both
offer products, admitted to the catalogue; an enterprise signs up (mailed activation), is verified, self-assesses at
一级 and receives recommendations; it is enrolled in the pilot pool and contracts the traction unit for the platform's
product; the investment is approved by the third party, progress reported, the project completed, an on-site
post-transformation assessment reaches 二级, the acceptance batch passes, the S2 subsidy is computed with its trace,
reviewed and approved by two people, paid and reconciled; the traction unit's evaluation cycle grades it 不合格 from
the facts; it gets notice, does not rectify, receives a failing verdict and loses its title; its products are
suspended, its running project flagged and funding refuses its new contracts; the enterprise file shows the stages.

Zhongshan: the same services under Zhongshan's configuration (no code change): its benchmark-platform title through
its call, a technical-transformation project (S4 (四)) paid 30% first and clawed back on a failed progress check, and
cloud vouchers (S4 (六)) that hit the 30万元 yearly cap."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from catalog.adapters.readmodels import known_titles as catalog_titles
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually
from sihua_shared.testing.smtp import smtp_server

from .helpers import rows
from .journey_kit import (
    CATALOG,
    DIAGNOSIS,
    EVALUATION,
    FUNDING,
    KIT,
    REGISTRY,
    WAN,
    Five,
    admitted_product,
    all_facts,
    contract,
    etag,
    five_services,
    idem,
    ok,
    product,
    project_step,
    s2_project_paid,
    titles_through_calls,
    zhongshan_money,
)

PUBLIC = "https://sihua.example.gov.cn"
START = date(2026, 3, 2)  # a Monday: the calls open
LAST = date(2026, 6, 30)  # the workers' business day: after every step of the journey
ZS_START, ZS_LAST = date(2025, 6, 2), date(2025, 12, 15)  # S4 is in force until 2025-12-31


async def _signed_up_and_verified(five: Five, inbox: Any) -> tuple[str, dict[str, str]]:
    """POST /sign-up (no sign-in), the mailed activation link, sign-in; the district officer verifies it."""
    r = five.registry
    accepted = await r.post(f"{REGISTRY}/sign-up", json={
        "uscc": make_uscc(71), "name": "广州黄埔旅程制造有限公司", "kind": "enterprise", "district": "huangpu",
        "industry_code": "C3670", "sector": "auto_parts", "employees": 120, "revenue_wan": "8000",
        "contact_name": "李联系", "contact_email": "li@journey-maker.cn"})
    assert accepted.status_code == 202, accepted.text

    link = re.compile(rf"{re.escape(PUBLIC)}{REGISTRY}/sign-up/activate\?token=(\S+)")

    async def mailed() -> list[Any]:  # the activation mail, among the notices the registry's worker mails
        texts = [m.get_body(("plain",)).get_content() for m in inbox.messages]
        return [found for found in map(link.search, texts) if found]

    (token,) = await eventually(mailed, timeout=10)
    ok(await r.post(f"{REGISTRY}/sign-up/activate", json={"token": token.group(1), "new_password": "Journey2026ok"}))
    login = ok(await r.post(f"{REGISTRY}/oauth/token", data={
        "grant_type": "password", "username": "li@journey-maker.cn", "password": "Journey2026ok"}))
    me = ok(await r.get(f"{REGISTRY}/accounts/me", headers={"Authorization": f"Bearer {login['access_token']}"}))
    enterprise = str(me["organisation_id"])
    district = five.stack.issuer.headers(["district_officer"], district="huangpu")
    current = await r.get(f"{REGISTRY}/organisations/{enterprise}", headers=district)
    verified = ok(await r.post(f"{REGISTRY}/organisations/{enterprise}/verify",
                               headers={**district, "If-Match": current.headers["ETag"]}))
    assert verified["verification"] == "verified"
    return enterprise, five.stack.issuer.headers(["enterprise"], org=enterprise, sub=me["id"])


async def test_guangzhou_journey_through_all_five_services(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        async with five_services(stack, start=START, worker_day=LAST, registry_overrides={
                "smtp_host": "127.0.0.1", "smtp_port": port, "public_url": PUBLIC}) as five:
            await _guangzhou(five, inbox)


async def _guangzhou(five: Five, inbox: Any) -> None:
    stack, w = five.stack, five.world()
    # 1. the organisations an official registers, and the expert pool (with profiles: catalog draws from it too)
    platform = await w.org(kind="platform", name="广州智造云平台有限公司")
    unit = await w.org(kind="traction_unit", name="广州汽配数字化牵引单位有限公司")
    third = await w.org(kind="third_party", name="广州试点第三方综合服务机构有限公司")
    experts = [await w.expert(fields=["智能制造"]) for _ in range(4)]

    # 2. a call opens; the platform is reviewed and titled; the traction unit is selected the same way
    titles = await titles_through_calls(five, w, [
        ({"kind": "key_platform", "category": "industrial_internet", "title": "2026年广州市四化赋能重点平台征集"}, platform),
        ({"kind": "traction_unit", "category": None, "sector": "auto_parts",
          "title": "2026年广州市中小企业数字化转型城市试点牵引单位遴选"}, unit)], experts)
    titled_on = five.today()
    assert titles["key_platform"]["number"].startswith("GZSH-KP-2026") and titles["traction_unit"]["number"].startswith(
        "GZSH-TU-2026")

    # 3. the platform's product (and one of the traction unit's) admitted to the catalogue; marked by their titles
    ok(await five.diagnosis.get(f"{DIAGNOSIS}/editions", headers=five.city))  # the shipped edition's first use

    async def titles_known() -> bool:
        held = await rows(five.settings["catalog"].database_url, select(catalog_titles.c.organisation_id))
        return {platform, unit} <= {t.organisation_id for t in held}

    await eventually(titles_known, timeout=30)
    offered = await admitted_product(five, platform, product("智能排产云", ["S05"], ["auto_parts"]))
    unit_offered = await admitted_product(five, unit, product("汽配链式协同云", ["S05", "S09"], ["auto_parts"], 2_500_000))
    assert (offered["marks"], unit_offered["marks"]) == (["key_platform"], ["traction_unit"])
    assert offered["catalogue_number"] == "GZ-XKQZ-2026-0001"

    # 4. an enterprise signs up, is verified, self-assesses at 一级 and receives recommendations
    enterprise, ent = await _signed_up_and_verified(five, inbox)

    async def counting_assessment() -> Any:  # once organisation.verified reached diagnosis, the assessment counts
        started = await five.diagnosis.post(f"{DIAGNOSIS}/assessments", json={"kind": "self", "stage": "baseline"},
                                            headers=ent)
        if started.status_code != 201:
            return None
        return await KIT.fill_and_submit(five.diagnosis, ent, started.json()["id"], KIT.LEVEL1)

    baseline = await eventually(counting_assessment, timeout=30, interval=0.3)
    if not baseline["counts"]:  # a practice one: verification had not reached diagnosis yet
        baseline = await KIT.assess(five.diagnosis, ent, KIT.LEVEL1)
    assert (baseline["level"], baseline["counts"]) == (1, True)

    async def recommended() -> Any:
        found = await five.catalog.get(f"{CATALOG}/enterprises/{enterprise}/recommendations", headers=ent)
        return found.json() if found.status_code == 200 and found.json()["assessment_id"] == baseline["id"] else None

    reco = await eventually(recommended, timeout=30, interval=0.3)
    assert {i["product_id"] for i in reco["items"]} == {offered["id"], unit_offered["id"]}
    assert all(i["explanation"] for i in reco["items"])

    # 5–9. enrolled in the pilot pool, it contracts the traction unit for the platform's product; investment approved,
    # progress, completion, on-site 二级, acceptance; the S2 subsidy with its trace, two people, paid, reconciled
    project, subsidy = await s2_project_paid(five, enterprise, ent, unit=unit, third=third, product_id=offered["id"])
    assert project["completed_on"] == titled_on.isoformat()

    # a second project with the unit is running when the unit is evaluated
    running = await project_step(five, ent, ok(await five.funding.post(
        f"{FUNDING}/projects", json=contract(unit, offered["id"], "HT-2026-002"), headers={**ent, **idem()}), 201), "submit")

    # 10. the traction units' evaluation cycle grades the unit from the facts: 不合格 → notice, no rectification,
    # a failing verdict nobody appeals, issued after the window
    e, r = five.evaluation, f"{EVALUATION}/results"
    models = ok(await e.get(f"{EVALUATION}/models", headers=five.city))
    model = next(m for m in models if m["model_id"] == "gz-traction-unit-2026")
    cycle = ok(await e.post(f"{EVALUATION}/cycles", headers=five.city, json={
        "kind": "traction_unit", "year": 2026, "model_version": model["version_id"]}), 201)

    async def graded() -> Any:
        found = ok(await e.post(f"{EVALUATION}/cycles/{cycle['id']}/compute", headers=five.city))
        return [g for g in found if g["provider_id"] == unit] or None

    (result,) = await eventually(graded, timeout=30, interval=0.5)
    assert result["grade"] == "不合格" and result["trace"]["indicators"], result
    # the key platforms' cycle grades the platform the same way (its indicators traced to their facts or submissions)
    platform_model = next(m for m in models if m["model_id"] == "gz-key-platform-2026")
    platform_cycle = ok(await e.post(f"{EVALUATION}/cycles", headers=five.city, json={
        "kind": "key_platform", "year": 2026, "model_version": platform_model["version_id"]}), 201)
    (platform_result,) = ok(await e.post(f"{EVALUATION}/cycles/{platform_cycle['id']}/compute", headers=five.city))
    assert platform_result["provider_id"] == platform and platform_result["grade"], platform_result
    assert {i["indicator_id"] for i in platform_result["trace"]["indicators"]} >= {"satisfaction", "enterprises_served"}
    result = ok(await e.post(f"{r}/{result['id']}/notify", headers={**five.city, **etag(result)}))
    assert result["state"] == "rectifying"
    five.pin(date.fromisoformat(result["rectification_due"]) + timedelta(days=1))
    result = ok(await e.post(f"{r}/{result['id']}/recheck", headers={**five.city, **etag(result)}))
    assert (result["state"], result["grade"]) == ("proposed", "不合格")
    five.pin(date.fromisoformat(result["appeal_until"]) + timedelta(days=1))
    result = ok(await e.post(f"{r}/{result['id']}/issue", headers={**five.city, **etag(result)}))
    assert result["state"] == "issued"
    assert five.today() <= LAST

    # 11. it loses its title; its products are suspended; its running project is flagged; no new contract
    async def revoked() -> Any:
        title = ok(await five.registry.get(f"{REGISTRY}/titles/{titles['traction_unit']['id']}", headers=five.city))
        return title if title["revoked_by"] == "evaluation" else None

    title = await eventually(revoked, timeout=30)
    assert title["revocation_reason"].startswith("年度评价不合格")
    kept = ok(await five.registry.get(f"{REGISTRY}/titles/{titles['key_platform']['id']}", headers=five.city))
    assert kept["revoked_on"] is None

    async def suspended() -> Any:
        found = ok(await five.catalog.get(f"{CATALOG}/products/{unit_offered['id']}", headers=five.city))
        return found if found["listing"] == "suspended" else None

    await eventually(suspended, timeout=30)
    assert ok(await five.catalog.get(f"{CATALOG}/products/{offered['id']}", headers=five.city))["listing"] == "listed"

    async def refused() -> Any:
        made = await five.funding.post(f"{FUNDING}/projects", json=contract(unit, offered["id"], "HT-2026-003"),
                                       headers={**ent, **idem()})
        return made.json() if made.status_code == 409 else None

    assert (await eventually(refused, timeout=30, interval=0.3))["code"] == "no_valid_title"
    flagged = ok(await five.funding.get(f"{FUNDING}/projects/{running['id']}", headers=ent))
    assert flagged["flag"] and "撤销" in flagged["flag"]

    # 12. the enterprise file (一企一档) shows the stages, each entry naming the fact it comes from (on NATS). Today it
    # holds the registry's, diagnosis's, catalog's recommendations and funding's project facts (no subsidy or payment)
    wanted = {"registry": {"organisation.registered.v1", "organisation.verified.v1", "pilot_pool.enterprise_enrolled.v1"},
              "diagnosis": {"consent.granted.v1", "assessment.completed.v1", "report.issued.v1"},
              "catalog": {"recommendation.issued.v1"},
              "funding": {f"project.{step}.v1" for step in ("contracted", "investment_approved", "progress_reported",
                                                            "completed", "acceptance_applied", "accepted")}}

    async def filed() -> Any:
        found = ok(await five.registry.get(f"{REGISTRY}/enterprises/{enterprise}/file", params={"limit": 100}, headers=ent))
        kinds: dict[str, set[str]] = {}
        for entry in found["items"]:
            kinds.setdefault(entry["source"], set()).add(entry["event_type"].split(".", 4)[-1])
        return found["items"] if all(v <= kinds.get(k, set()) for k, v in wanted.items()) else None

    entries = await eventually(filed, timeout=30, interval=0.3)
    for source in wanted:
        published = await all_facts(stack, source)
        for entry in (e for e in entries if e["source"] == source):
            assert published[entry["event_id"]]["type"] == entry["event_type"], entry
            assert entry["data"] == published[entry["event_id"]]["data"], entry
    # every stage's other facts are on NATS too
    for producer, fact in (("registry", "title.revoked.v1"), ("catalog", "product.suspended.v1"),
                           ("funding", "application.approved.v1"), ("evaluation", "verdict.issued.v1")):
        async def on_nats(producer: str = producer, fact: str = fact) -> bool:
            return any(f["type"].endswith(fact) for f in (await all_facts(stack, producer)).values())

        await eventually(on_nats, timeout=20)


async def test_zhongshan_journey_under_its_own_configuration(stack: Stack) -> None:
    async with five_services(stack, start=ZS_START, worker_day=ZS_LAST, jurisdiction="zhongshan") as five:
        w = five.world()
        platform = await w.org(kind="platform", district="shiqi", name="中山市工业互联网标杆平台有限公司")
        enterprise = await w.org(kind="enterprise", district="shiqi", name="中山市石岐五金制造有限公司")
        experts = [await w.expert(fields=["智能制造"]) for _ in range(4)]
        # Zhongshan's benchmark-platform title (中山市标杆平台) through its own call, publicity in working days
        titles = await titles_through_calls(five, w, [
            ({"kind": "key_platform", "category": "industrial_internet", "title": "2025年中山市标杆平台遴选"}, platform)],
            experts)
        title = ok(await five.registry.get(f"{REGISTRY}/titles/{titles['key_platform']['id']}", headers=five.city))
        assert (title["name_zh"], title["organisation_id"]) == ("中山市标杆平台", platform)
        ent = five.stack.issuer.headers(["enterprise"], org=enterprise, sub="zs-ent-account")

        # the enterprise self-assesses under the same index (its report names its 镇街)
        async def assessed() -> Any:
            started = await five.diagnosis.post(f"{DIAGNOSIS}/assessments", json={"kind": "self", "stage": "baseline"},
                                                headers=ent)
            if started.status_code != 201:
                return None
            return await KIT.fill_and_submit(five.diagnosis, ent, started.json()["id"], KIT.LEVEL1)

        baseline = await eventually(assessed, timeout=30, interval=0.3)
        assert (baseline["level"], baseline["counts"]) == (1, True)

        money = await zhongshan_money(five, ent)
        assert [v["amount_fen"] for v in money["vouchers"]] == [20 * WAN, 10 * WAN]

        async def paid_facts() -> Any:
            types = [f["type"] for f in (await all_facts(stack, "funding")).values()]
            return types if sum(t.endswith("application.approved.v1") for t in types) == 3 else None

        await eventually(paid_facts, timeout=20)
