"""Issue 16 §1: one journey through all five services, over real NATS and PostgreSQL, every api over HTTP and every
worker running — nothing injected, each fact from the service that owns it.

Guangzhou: a call opens; a platform applies, is reviewed and titled; a traction unit is selected the same way (a
second one is titled by an officer); they offer products, admitted to the catalogue; an enterprise signs up (mailed
activation), is verified, self-assesses at 一级 and receives recommendations; it is enrolled in the pilot pool and
contracts the traction unit for the platform's product; the investment is approved by the third party, progress
reported, the project completed, an on-site post-transformation assessment reaches 二级, the acceptance batch passes,
the S2 subsidy is computed from the project's figures with its trace, reviewed and approved by two people, paid and
reconciled; the enterprise answers the survey the accepted project opened. Its project with the second unit fails
acceptance. The traction units' cycle grades them from those facts: the first passes with a tier (paid by funding
within the tier's cap), the second fails, gets notice, does not rectify, receives a failing verdict and loses its
title; its products are suspended, its running project flagged and funding refuses its new contracts; the
enterprise file shows the stages.

Zhongshan: the same services under Zhongshan's configuration (no code change): its benchmark-platform title through
its call; technical-transformation projects (S4 (四)) paid 30% first — one clawed back on a failed progress check and
paid once after acceptance, one settled on a lower verified investment (its final tranche paid through the bank's
XLSX payment file), one settled below what was paid (a claw-back offset against the next payment); cloud vouchers
(S4 (六)) that hit the 30万元 yearly cap; every payment and claw-back fact on NATS."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from catalog.adapters.readmodels import known_titles as catalog_titles
from funding.adapters.funding_tables import tiers as funding_tiers
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually
from sihua_shared.testing.smtp import smtp_server

from .helpers import rows
from .journey_kit import (
    ACCOUNT,
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
    application,
    contract,
    etag,
    five_services,
    idem,
    money_facts_on_nats,
    ok,
    product,
    project_step,
    s2_project_paid,
    scaled_model,
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
    # a second traction unit, titled by a city officer the same day
    weak = await w.org(kind="traction_unit", name="广州某数字化牵引单位乙有限公司")
    weak_title = ok(await five.registry.post(f"{REGISTRY}/titles", headers=five.city, json={
        "organisation_id": weak, "kind": "traction_unit", "valid_from": five.today().isoformat()}), 201)

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
    weak_offered = await admitted_product(five, weak, product("质量追溯云", ["S09"], ["auto_parts"], 2_200_000))

    # 5–9. enrolled in the pilot pool, it contracts the traction unit for the platform's product; investment approved,
    # progress, completion, on-site 二级, acceptance; the S2 subsidy with its trace, two people, paid, reconciled
    project, subsidy = await s2_project_paid(five, enterprise, ent, unit=unit, third=third, product_id=offered["id"])
    assert project["completed_on"] == titled_on.isoformat()

    # the enterprise answers the survey its accepted project opened, about the traction unit (evaluation ← funding)
    e, r = five.evaluation, f"{EVALUATION}/results"

    async def project_survey() -> Any:
        found = ok(await e.get(f"{EVALUATION}/surveys", headers=ent))["items"]
        return [s for s in found if s["relationship"] == "transformation_project"] or None

    (survey,) = await eventually(project_survey, timeout=30, interval=0.3)
    assert survey["provider_id"] == unit and survey["state"] == "open"
    questions = [q["id"] for q in ok(await e.get(f"{EVALUATION}/questionnaire", headers=ent))["questions"]]
    answered = ok(await e.post(f"{EVALUATION}/surveys/{survey['id']}/answer", headers={**ent, **etag(survey)},
                               json={"answers": {q: 5 for q in questions}}))
    assert (answered["state"], answered["score_milli"]) == ("answered", 100_000)

    # the second unit's project fails its acceptance; another of its projects is running when the units are evaluated
    failed = await _failed_project(five, ent, weak, third, offered["id"])
    assert failed["state"] == "failed"
    running = await project_step(five, ent, await _contracted(five, ent, weak, offered["id"], "HT-2026-003"), "submit")

    # 10. the traction units' evaluation cycle grades them from funding's, catalog's and evaluation's facts (a model
    # version scaled for this small city; what no fact gives is submitted with evidence): the unit whose project was
    # accepted passes with a tier, the one whose project failed fails → notice, no rectification, a failing verdict
    # nobody appeals, issued after the window
    models = ok(await e.get(f"{EVALUATION}/models", headers=five.city))
    model = ok(await e.post(f"{EVALUATION}/models", headers=five.city, json={"content": scaled_model(
        "gz-traction-unit-2026", "journey-traction-unit", {"pilot_enterprises_diagnosed": 1, "contracts_signed": 1,
                                                           "acceptances_passed": 1, "ecosystem_products": 1}, minimum=1)}),
               201)
    cycle = ok(await e.post(f"{EVALUATION}/cycles", headers=five.city, json={
        "kind": "traction_unit", "year": 2026, "model_version": model["version_id"]}), 201)
    ok(await e.post(f"{EVALUATION}/cycles/{cycle['id']}/submissions", headers=five.as_org(unit), json={
        "provider_id": unit, "indicator_id": "scenarios_and_chain_cases", "value": 5, "evidence": ["验收报告"]}), 201)

    async def graded() -> Any:
        found = {g["provider_id"]: g for g in ok(await e.post(f"{EVALUATION}/cycles/{cycle['id']}/compute",
                                                              headers=five.city))}
        if {unit, weak} - set(found):
            return None
        weak_values = {v["indicator_id"]: v for v in found[weak]["trace"]["indicators"]}
        values = {v["indicator_id"]: v for v in found[unit]["trace"]["indicators"]}  # the answer counted
        return found if weak_values["contracts_signed"]["value"] == "2" and values["satisfaction"]["n"] == 1 else None

    results = await eventually(graded, timeout=30, interval=0.5)
    good, result = results[unit], results[weak]
    values = {v["indicator_id"]: v for v in good["trace"]["indicators"]}
    # satisfaction 15 + contracts 5 + accepted 15 + pass rate 10 + its product 10 + submitted 10 + 5 (no diagnosis)
    assert (good["grade"], good["score_milli"], good["tier"]) == ("合格", 70_000, "三档"), values
    assert (values["acceptances_passed"]["value"], values["acceptance_pass_rate"]["value"]) == ("1", "100.000")
    assert values["acceptances_passed"]["source"] == "computed" and len(values["acceptances_passed"]["facts"]) == 1
    assert values["satisfaction"]["n"] == 1 and values["contracts_signed"]["value"] == "1"
    assert values["ecosystem_products"]["value"] == "1"
    weak_values = {v["indicator_id"]: v for v in result["trace"]["indicators"]}
    assert (weak_values["acceptances_passed"]["value"], weak_values["acceptance_pass_rate"]["value"]) == ("0", "0.000")
    assert weak_values["satisfaction"]["n"] == 0  # a failed project opens no survey
    assert result["grade"] == "不合格" and result["tier"] is None, weak_values
    # the key platforms' cycle grades the platform the same way (its indicators traced to their facts or submissions)
    platform_model = next(m for m in models if m["model_id"] == "gz-key-platform-2026")
    platform_cycle = ok(await e.post(f"{EVALUATION}/cycles", headers=five.city, json={
        "kind": "key_platform", "year": 2026, "model_version": platform_model["version_id"]}), 201)
    (platform_result,) = ok(await e.post(f"{EVALUATION}/cycles/{platform_cycle['id']}/compute", headers=five.city))
    assert platform_result["provider_id"] == platform and platform_result["grade"], platform_result
    assert {i["indicator_id"] for i in platform_result["trace"]["indicators"]} >= {"satisfaction", "enterprises_served",
                                                                                  "contracts_signed"}
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
        title = ok(await five.registry.get(f"{REGISTRY}/titles/{weak_title['id']}", headers=five.city))
        return title if title["revoked_by"] == "evaluation" else None

    title = await eventually(revoked, timeout=30)
    assert title["revocation_reason"].startswith("年度评价不合格")
    for kept in (titles["key_platform"], titles["traction_unit"]):
        assert ok(await five.registry.get(f"{REGISTRY}/titles/{kept['id']}", headers=five.city))["revoked_on"] is None

    async def suspended() -> Any:
        found = ok(await five.catalog.get(f"{CATALOG}/products/{weak_offered['id']}", headers=five.city))
        return found if found["listing"] == "suspended" else None

    await eventually(suspended, timeout=30)
    for listed in (offered, unit_offered):
        assert ok(await five.catalog.get(f"{CATALOG}/products/{listed['id']}", headers=five.city))["listing"] == "listed"

    async def refused() -> Any:
        made = await five.funding.post(f"{FUNDING}/projects", json=contract(weak, offered["id"], "HT-2026-004"),
                                       headers={**ent, **idem()})
        return made.json() if made.status_code == 409 else None

    assert (await eventually(refused, timeout=30, interval=0.3))["code"] == "no_valid_title"
    flagged = ok(await five.funding.get(f"{FUNDING}/projects/{running['id']}", headers=ent))
    assert flagged["flag"] and "撤销" in flagged["flag"]

    # the passing unit's result is issued, the cycle closes, its tier reaches funding, which pays it within the
    # tier's cap (三档: at most 50万) on an s2-traction-tier application approved by two people
    good = ok(await e.post(f"{r}/{good['id']}/issue", headers={**five.city, **etag(good)}))
    held = ok(await e.get(f"{EVALUATION}/cycles/{cycle['id']}", headers=five.city))
    closed = ok(await e.post(f"{EVALUATION}/cycles/{cycle['id']}/close", headers={**five.city, **etag(held)}))
    assert closed["state"] == "closed"

    async def tier_known() -> Any:
        return await rows(five.settings["funding"].database_url, select(funding_tiers)) or None

    assert [(t.provider_id, t.tier) for t in await eventually(tier_known, timeout=30)] == [(unit, "三档")]
    tier_award = await application(five, five.as_org(unit), "gz-s2-sme-pilot", "s2-traction-tier", cycle["id"],
                                   official={"proposed_fen": 60 * WAN, "proposal_reason": "改造项目通过验收 1 项"})
    assert (tier_award["state"], tier_award["amount_fen"]) == ("approved", 50 * WAN)

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
                           ("funding", "application.approved.v1"), ("funding", "payment.paid.v1"),
                           ("funding", "project.failed.v1"), ("evaluation", "verdict.issued.v1"),
                           ("evaluation", "survey.answered.v1"), ("evaluation", "tier.assigned.v1")):
        async def on_nats(producer: str = producer, fact: str = fact) -> bool:
            return any(f["type"].endswith(fact) for f in (await all_facts(stack, producer)).values())

        await eventually(on_nats, timeout=20)


async def _contracted(five: Five, ent: dict[str, str], unit: str, product_id: str, number: str) -> dict[str, Any]:
    """A contract with a titled traction unit, once funding knows the unit's title from the registry's fact."""
    async def made() -> Any:
        response = await five.funding.post(f"{FUNDING}/projects", json=contract(unit, product_id, number),
                                           headers={**ent, **idem()})
        return response.json() if response.status_code == 201 else None

    found: dict[str, Any] = await eventually(made, timeout=30, interval=0.3)
    return found


async def _failed_project(five: Five, ent: dict[str, str], unit: str, third: str, product_id: str) -> dict[str, Any]:
    """Contract → investment approved → progress → completed → acceptance applied in a batch → failed."""
    project = await project_step(five, ent, await _contracted(five, ent, unit, product_id, "HT-2026-002"), "submit")
    project = await project_step(five, five.as_org(third, "third_party"), project, "investment",
                                 {"approved_investment_fen": 38 * WAN})
    project = await project_step(five, five.as_org(unit), project, "progress", {"percent": 100, "milestone": "上线试运行",
                                                                               "text": "系统上线"})
    project = await project_step(five, five.as_org(unit), project, "complete")
    batch = ok(await five.funding.post(f"{FUNDING}/acceptance-batches", headers=five.city, json={
        "name": "2026年第二批验收", "year": 2026, "closes_on": (five.today() + timedelta(days=30)).isoformat()}), 201)
    project = await project_step(five, ent, project, "acceptance", {"batch_id": batch["id"], "invoices": [
        {"number": "FP-101", "amount_fen": 38 * WAN}]})
    decided: dict[str, Any] = await project_step(five, five.city, project, "decision",
                                                 {"passed": False, "reasons": ["改造内容未完成"]})
    return decided


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

        # the payment and claw-back facts are on NATS: each tranche ordered and paid (by finance, or by the payment
        # file), the claw-backs opened, repaid, offset against the voucher's payment and settled
        facts = await money_facts_on_nats(stack)
        assert len(facts["payment.paid"]) == 7 and len(facts["payment.ordered"]) == 7, facts
        by_order = {f["payment_order_id"]: f for f in facts["payment.paid"]}
        assert by_order[money["final_b"]["id"]]["confirmed_by"] == "payment_file"
        assert by_order[money["withheld"]["id"]]["offset_fen"] == 20 * WAN
        assert sorted(f["reason"] for f in facts["clawback.opened"]) == ["failed_progress_check", "recomputed_below_paid"]
        (offset,) = facts["clawback.offset"]
        assert (offset["offset_fen"], offset["outstanding_fen"], offset["payment_order_id"]) == (
            20 * WAN, 0, money["withheld"]["id"])
        assert len(facts["clawback.repaid"]) == 1 and len(facts["clawback.settled"]) == 2
        assert all(ACCOUNT not in str(f) for kind in facts.values() for f in kind)  # the account only masked
