"""One resource of each kind for each role, made the way real data is (through the API, or the read models a
service keeps from the registry's events), so that schemathesis cases reach the handlers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import httpx

from evaluation.domain.model import shipped_models
from registry.api.accounts import PersonRole
from services.catalog.tests.kit import seed as catalog_seed
from services.diagnosis.tests.kit import LEVEL1, fill_and_submit, seed, start
from services.evaluation.tests.kit import seed as evaluation_seed
from services.registry.tests.selection_kit import API, DAY, PDF, World, if_match
from sihua_shared.auth import ROLES
from sihua_shared.settings import Settings
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client

from .fuzz import Seeds

DISTRICT = "huangpu"


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def registry_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    async with service_client(app) as client:
        world = World(stack, client)
        enterprise = await world.org("enterprise", name="样例企业有限公司")
        patched = await client.get(f"{API}/organisations/{enterprise}", headers=world.city)
        await client.patch(f"{API}/organisations/{enterprise}", headers={**world.city, **if_match(patched)},
                           json={"sector": "auto_parts", "employees": 50, "revenue_wan": "3000"})
        provider = await world.org("platform", name="样例平台有限公司")
        third = await world.org("third_party", name="样例第三方机构有限公司")
        orgs = {"enterprise": enterprise, "provider": provider, "third_party": third}
        accounts = {}
        for n, role in enumerate(get_args(PersonRole)):  # the other roles' callers are agency clients: no account
            body = {"username": f"fuzz{n}", "display_name": f"用户{n}", "email": f"fuzz{n}@example.cn", "roles": [role],
                    "organisation_id": orgs.get(role), "district": DISTRICT if role == "district_officer" else None}
            accounts[role] = _created(await client.post(f"{API}/accounts", json=body, headers=world.city))["id"]
        # The account the account operations act on: not a caller's, so that deactivating it (revocation refuses a
        # deactivated account's tokens) leaves the later cases their callers.
        spare = _created(await client.post(f"{API}/accounts", headers=world.city, json={
            "username": "fuzz-spare", "display_name": "备用账号", "email": "spare@example.cn", "roles": ["enterprise"],
            "organisation_id": enterprise}))["id"]
        headers = {
            role: stack.issuer.headers([role], sub=accounts.get(role, f"client-{role}"), org=orgs.get(role),
                                       district=DISTRICT if role == "district_officer" else None)
            for role in ROLES
        }
        await world.relate(provider, enterprise)
        relationships = _created(await client.get(f"{API}/organisations/{provider}/relationships", headers=world.city))
        call = await world.open_call()
        application = await world.draft(call, provider)
        # Officials get one that is submitted, so that the formal-check steps have something to act on.
        submitted = await world.draft(call, third)
        stepped = await world.step(submitted, "submit", world.as_org(third))
        assert stepped.status_code == 200, stepped.text
        attachments = _created(await client.get(f"{API}/applications/{application['id']}/attachments",
                                                headers=world.as_org(provider)))
        title = _created(await client.post(f"{API}/titles", headers=world.city, json={
            "organisation_id": provider, "kind": "key_platform", "valid_from": (DAY - timedelta(days=1)).isoformat()}))
        enrolment = _created(await client.post(f"{API}/pilot-pool", headers=world.city,
                                               json={"enterprise_id": enterprise}))
        notifications = _created(await client.get(f"{API}/notifications", headers=headers["enterprise"]))
        # 产业生态联合体: a traction unit declared the provider; 特色产业集群: a cluster with the enterprise recommended
        traction_unit = await world.org("traction_unit", name="样例牵引单位有限公司")
        membership = _created(await client.post(f"{API}/ecosystem-memberships", json={"partner_id": provider},
                                                headers=world.as_org(traction_unit)))
        cluster_body = await world.org("cluster_body", name="样例产业集群促进会")
        cluster = _created(await client.post(f"{API}/clusters", headers=world.city, json={
            "name": "样例产业集群", "district": DISTRICT, "sector": "auto_parts", "cluster_body_id": cluster_body}))
        member = _created(await client.post(f"{API}/clusters/{cluster['id']}/members", headers=world.city,
                                            json={"enterprise_id": enterprise}))
        # An enterprise that signed itself up, for its district's officer to verify or reject.
        signed_up = await client.post(f"{API}/sign-up", json={
            "uscc": make_uscc(4242), "name": "样例自主注册企业有限公司", "kind": "enterprise", "district": DISTRICT,
            "industry_code": "C2110", "contact_name": "样例联系人", "contact_email": "signup@example.cn"})
        assert signed_up.status_code == 202, signed_up.text
        queue = _created(await client.get(f"{API}/organisations", params={"verification": "unverified"}, headers=world.city))
        unverified = queue["items"][0]["id"]
    items = relationships if isinstance(relationships, list) else relationships.get("items", [])
    ids: dict[str, dict[str, str]] = {
        "org_id": {"*": enterprise, **orgs, "district_officer": unverified},
        "organisation_id": {"*": enterprise, **orgs},
        "enterprise_id": {"*": enterprise},
        "account_id": {"*": spare},
        "call_id": {"*": call["id"]},
        "application_id": {"*": application["id"], "city_officer": submitted["id"], "district_officer": submitted["id"]},
        "attachment_id": {"*": attachments["items"][0]["id"] if isinstance(attachments, dict) else attachments[0]["id"]},
        "title_id": {"*": title["id"]},
        "number": {"*": title["number"]},
        "enrolment_id": {"*": enrolment["id"]},
        "membership_id": {"*": membership["id"]},
        "cluster_id": {"*": cluster["id"]},
        "member_id": {"*": member["id"]},
    }
    if items:
        ids["relationship_id"] = {"*": items[0]["id"]}
    if notifications.get("items"):
        ids["notification_id"] = {"enterprise": notifications["items"][0]["id"]}
    return Seeds(headers=headers, ids=ids)


async def diagnosis_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    await seed(settings.database_url, ("ent-a", "enterprise", DISTRICT, "auto_parts"), ("prov", "diagnosis_provider", None, None),
               ("third", "third_party", None, None), pilot=("ent-a",), diagnosis_providers=("prov",))
    orgs = {"enterprise": "ent-a", "provider": "prov", "third_party": "third"}
    headers = {
        role: stack.issuer.headers([role], sub=f"acct-{role}", org=orgs.get(role),
                                   district=DISTRICT if role == "district_officer" else None)
        for role in ROLES
    }
    ids: dict[str, dict[str, str]] = {"enterprise_id": {"*": "ent-a"}}
    async with service_client(app) as client:
        api = "/api/diagnosis/v1"
        assessment = await start(client, headers["enterprise"])
        submitted = await start(client, headers["enterprise"])
        await fill_and_submit(client, headers["enterprise"], submitted["id"], LEVEL1)
        ids["assessment_id"] = {"*": assessment["id"], "city_officer": submitted["id"], "district_officer": submitted["id"],
                                "auditor": submitted["id"]}
        consent = _created(await client.post(f"{api}/consents", headers=headers["enterprise"],
                                             json={"organisation_id": "prov"}))
        ids["consent_id"] = {"*": consent["id"]}
        editions = _created(await client.get(f"{api}/editions", headers=headers["city_officer"]))
        items = editions if isinstance(editions, list) else editions.get("items", [])
        if items:
            ids["version_id"] = {"*": items[0]["version_id"] if "version_id" in items[0] else items[0]["id"]}
        project = _created(await client.post(f"{api}/diagnosis-projects", headers=headers["city_officer"],
                                             json={"enterprise_id": "ent-a", "provider_id": "prov"}))
        ids["project_id"] = {"*": project["id"]}
        evidence = _created(await client.post(f"{api}/assessments/{assessment['id']}/evidence", headers=headers["enterprise"],
                                              data={"target": "Q1"}, files={"file": ("证明.pdf", PDF, "application/pdf")}))
        ids["evidence_id"] = {"*": evidence["id"]}
    return Seeds(headers=headers, ids=ids)


async def catalog_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    """A product admitted at version 1 with a change request in expert review, its brochure and an adaptation record;
    every role's caller as the access table has it (the expert sits on the panel)."""
    async with service_client(app) as client:
        params, actors = await catalog_seed(stack, client, settings.database_url)
    return Seeds(headers={role: actors[role] for role in ROLES}, ids={name: {"*": value} for name, value in params.items()})


async def funding_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    """An enterprise's submitted application (S2 数字贷) and the shipped policy versions."""
    from services.funding.tests.kit import created, seed_project_facts, step
    from services.funding.tests.kit import seed as funding_seed

    usccs = await funding_seed(settings.database_url, ("ent-f", "enterprise", DISTRICT), ("prov-f", "provider", None),
                               ("third-f", "third_party", None), levels={"ent-f": 2}, titles={"prov-f": ("traction_unit",)})
    await seed_project_facts(settings.database_url, pilots={"ent-f": (usccs["ent-f"], DISTRICT)},
                             products={"prod-f": ("prov-f", {"basic": 1_980_000})})
    orgs = {"enterprise": "ent-f", "provider": "prov-f", "third_party": "third-f"}
    headers = {
        role: stack.issuer.headers([role], sub=f"acct-{role}", org=orgs.get(role),
                                   district=DISTRICT if role == "district_officer" else None)
        for role in ROLES
    }
    async with service_client(app) as client:
        application = await created(client, headers["enterprise"], "gz-s2-sme-pilot", "s2-digital-loan", "loan-fuzz",
                                    loan_contract_amount_fen=100_000_000, actual_interest_paid_fen=2_000_000,
                                    interest_period_start="2026-01-01")
        await step(client, headers["enterprise"], application, "submit")
        versions = _created(await client.get("/api/funding/v1/policies", headers=headers["city_officer"]))["items"]
        budget = _created(await client.post("/api/funding/v1/budgets", headers={**headers["finance"], "Idempotency-Key": "fuzz"},
                                            json={"year": 2026, "measure_id": "s2-transformation", "fund_source": "city",
                                                  "amount_fen": 100_000_000}))
        contract = {"traction_unit_id": "prov-f", "contract_number": "HT-F", "contract_amount_fen": 1_980_000,
                    "declared_investment_fen": 1_980_000, "lines": [{"product_id": "prod-f", "version": 1, "package_code": "basic",
                                                                     "quantity": 1, "unit_price_fen": 1_980_000}]}
        project = _created(await client.post("/api/funding/v1/projects", json=contract,
                                             headers={**headers["enterprise"], "Idempotency-Key": "fuzz"}))
    ids = {"application_id": {"*": application["id"]}, "version_id": {"*": versions[0]["version_id"]},
           "budget_id": {"*": budget["id"]}, "project_id": {"*": project["id"]}}
    return Seeds(headers=headers, ids=ids)


async def evaluation_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    """A key-platform cycle computed for a provider that served an enterprise (its survey open), a training programme."""
    await evaluation_seed(settings.database_url, ("ent-a", "enterprise", DISTRICT, "custom_furniture"),
                          ("prov", "platform", DISTRICT, None), ("third", "third_party", None, None),
                          titles=(("prov", "key_platform"),), served=(("prov", "ent-a"),))
    orgs = {"enterprise": "ent-a", "provider": "prov", "third_party": "third"}
    headers = {
        role: stack.issuer.headers([role], sub=f"acct-{role}", org=orgs.get(role),
                                   district=DISTRICT if role == "district_officer" else None)
        for role in ROLES
    }
    api = "/api/evaluation/v1"
    async with service_client(app) as client:
        cycle = _created(await client.post(f"{api}/cycles", headers=headers["city_officer"],
                                           json={"kind": "key_platform", "year": 2026}))
        results = _created(await client.post(f"{api}/cycles/{cycle['id']}/compute", headers=headers["city_officer"]))
        survey = _created(await client.get(f"{api}/surveys", headers=headers["enterprise"]))["items"][0]
        programme = _created(await client.post(f"{api}/training/programmes", headers=headers["third_party"],
                                               json={"title": "数字化转型培训"}))
    ids = {"cycle_id": {"*": cycle["id"]}, "result_id": {"*": results[0]["id"]}, "survey_id": {"*": survey["id"]},
           "provider_id": {"*": "prov"}, "programme_id": {"*": programme["id"]},
           "version_id": {"*": shipped_models()["gz-key-platform-2026"].version}}
    return Seeds(headers=headers, ids=ids)


async def bare_seeds(stack: Stack, settings: Settings, app: Any) -> Seeds:
    """Services without resources of their own yet: callers only."""
    return Seeds(headers={role: stack.issuer.headers([role], sub=f"acct-{role}") for role in ROLES})


SEEDERS = {"registry": registry_seeds, "diagnosis": diagnosis_seeds, "catalog": catalog_seeds, "funding": funding_seeds,
           "evaluation": evaluation_seeds}
