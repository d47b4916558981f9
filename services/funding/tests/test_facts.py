"""Measures computed from the facts funding keeps, through the API: diagnosis's completed project with its fee
(S0 三(三)), evaluation's tier (S2 四(二)2, injected TierAssigned facts), the registry's recognition titles (S4
(一)(二): the difference paid when a workshop-rewarded enterprise becomes a factory), and Zhongshan's measures."""

from __future__ import annotations

from datetime import date

from funding.main import create_app
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, WAN, approved, created, seed, step

GZ_2025 = date(2025, 6, 1)  # S0 in force (until 2025-12-31)
ZS_2025 = date(2025, 6, 1)  # S4 in force (a draft, until 2025-12-31)


async def test_diagnosis_fee_and_traction_tier_come_from_the_facts(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=GZ_2025)
    await seed(settings.database_url, ("prov-1", "diagnosis_provider", None), ("tu-1", "traction_unit", None),
               ("ent-1", "enterprise", "baiyun"),
               diagnosis={"dp-1": ("ent-1", "prov-1", 18 * WAN), "dp-2": ("ent-1", "other", 10 * WAN)},
               tiers={("tu-1", "cycle-2025"): "二档"})
    prov = stack.issuer.headers(["provider"], org="prov-1")
    tu = stack.issuer.headers(["provider"], org="tu-1")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    async with service_client(create_app(settings)) as client:
        paid = await approved(client, prov, reviewer, approver, "gz-s0-sihua-platforms", "s0-diagnosis", "dp-1")
        assert paid["amount_fen"] == 18 * WAN
        assert paid["trace"]["steps"][0]["inputs"] == {"diagnosis_fee_fen": 18 * WAN}
        # another provider's project: no fee fact for this applicant, so nothing to compute
        other = await created(client, prov, "gz-s0-sihua-platforms", "s0-diagnosis", "dp-2")
        other = await step(client, prov, other, "submit")
        missing = await client.post(f"{API}/applications/{other['id']}/review",
                                    headers={**reviewer, "If-Match": f'"{other["version"]}"'}, json={"inputs": {}})
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "inputs.diagnosis_fee_fen"
        # S2 tier award: the official proposes 100万, the 二档 cap is 80万
        tier = await approved(client, tu, reviewer, approver, "gz-s2-sme-pilot", "s2-traction-tier", "cycle-2025",
                              official={"proposed_fen": 100 * WAN, "proposal_reason": "完成改造验收企业 30 家"})
        assert tier["amount_fen"] == 80 * WAN
        assert [s["rule"] for s in tier["trace"]["steps"]] == ["proposed", "cap:tier-cap"]
        assert tier["trace"]["steps"][1]["inputs"]["tier"] == "二档"


async def test_zhongshan_workshop_then_factory_pays_the_difference(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=ZS_2025, jurisdiction="zhongshan")
    await seed(settings.database_url, ("zs-ent", "enterprise", "shiqi"), ("zs-ent-2", "enterprise", "shiqi"),
               titles={"zs-ent": ("demonstration_workshop", "demonstration_factory")})
    ent = stack.issuer.headers(["enterprise"], org="zs-ent")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    policy = "zs-s4-digital-intelligent"
    async with service_client(create_app(settings)) as client:
        versions = (await client.get(f"{API}/policies", headers=ent)).json()["items"]
        assert [(v["policy_id"], v["status_today"]) for v in versions] == [(policy, "draft")]
        assert versions[0]["tax_basis"]["tax_exclusive"] is True
        workshop = await approved(client, ent, reviewer, approver, policy, "s4-demo-workshop", "ws-1",
                                  official={"proposed_fen": 200 * WAN, "proposal_reason": "示范车间认定"},
                                  project_total_investment_fen=3_000 * WAN)
        assert (workshop["amount_fen"], workshop["draft_policy"]) == (200 * WAN, True)
        factory = await approved(client, ent, reviewer, approver, policy, "s4-demo-factory", "fac-1",
                                 official={"proposed_fen": 1_000 * WAN, "proposal_reason": "示范工厂认定"},
                                 project_total_investment_fen=8_000 * WAN)
        assert factory["amount_fen"] == 800 * WAN
        # technical transformation: 20% of equipment + software after the excluded part, paid 30% / 70%
        tech = await approved(client, ent, reviewer, approver, policy, "s4-tech-transformation", "tt-1",
                              equipment_software_investment_fen=5_000 * WAN, other_city_funded_fen=1_000 * WAN,
                              project_total_investment_fen=6_000 * WAN)
        assert tech["amount_fen"] == 800 * WAN
        assert [t["amount_fen"] for t in tech["trace"]["tranches"]] == [240 * WAN, 560 * WAN]
        # an enterprise without the factory title is refused at approval
        other = stack.issuer.headers(["enterprise"], org="zs-ent-2")
        app = await created(client, other, policy, "s4-demo-factory", "fac-2", project_total_investment_fen=100 * WAN)
        app = await step(client, other, app, "submit")
        app = await step(client, reviewer, app, "review", {"inputs": {"proposed_fen": 100 * WAN, "proposal_reason": "申报"}})
        refused = await client.post(f"{API}/applications/{app['id']}/approve", headers={**approver, "If-Match": f'"{app["version"]}"'})
        assert refused.status_code == 409 and refused.json()["codes"] == ["title_missing"]


async def test_an_expired_policy_processes_what_was_filed_and_pays_until_its_end(stack: Stack) -> None:
    """S4 expired on 2025-12-31; an application submitted in 2025 is still reviewed and approved in 2026 (附则(四)),
    not after 2026-12-31; no new application is taken in 2026."""
    filed = await stack.settings("funding", business_date=ZS_2025, jurisdiction="zhongshan")
    await seed(filed.database_url, ("zs-ent", "enterprise", "shiqi"))
    ent = stack.issuer.headers(["enterprise"], org="zs-ent")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    policy = "zs-s4-digital-intelligent"
    inputs = {"contract_amount_fen": 40 * WAN, "project_total_investment_fen": 40 * WAN}
    async with service_client(create_app(filed)) as client:
        early = await step(client, ent, await created(client, ent, policy, "s4-cloud-voucher", "cv-1", **inputs), "submit")
        late = await step(client, ent, await created(client, ent, policy, "s4-cloud-voucher", "cv-2", **inputs), "submit")
    in_2026 = filed.model_copy(update={"business_date": date(2026, 3, 1)})
    async with service_client(create_app(in_2026)) as client:
        new = await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": policy, "measure_id": "s4-cloud-voucher", "project_id": "cv-3", "inputs": inputs})
        assert new.json()["code"] == "policy_expired"
        early = await step(client, reviewer, early, "review", {"inputs": {}, "facts": {"benchmark": False}})
        assert (await step(client, approver, early, "approve"))["amount_fen"] == 20 * WAN
        late = await step(client, reviewer, late, "review", {"inputs": {}, "facts": {"benchmark": False}})
    in_2027 = filed.model_copy(update={"business_date": date(2027, 1, 4)})
    async with service_client(create_app(in_2027)) as client:
        over = await client.post(f"{API}/applications/{late['id']}/approve", headers={**approver, "If-Match": f'"{late["version"]}"'})
        assert over.status_code == 409 and over.json()["code"] == "payment_period_over"
