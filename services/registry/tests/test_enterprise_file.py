"""The enterprise file (一企一档) is assembled from facts and readable by the enterprise and its officials."""

from __future__ import annotations

import uuid
from typing import Any

from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.contracts import catalog, funding
from sihua_shared.events import new_event
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.faults.kit import publish_raw

ORGS = "/api/registry/v1/organisations"


async def test_enterprise_file_timeline_and_access(stack: Stack) -> None:
    settings = await stack.settings("registry")
    officer = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client, running_worker(SPEC, settings):
        created = await client.post(
            ORGS, json={"uscc": make_uscc(41), "name": "一企一档测试企业", "kind": "enterprise", "district": "huangpu"}, headers=officer
        )
        org_id = created.json()["id"]
        path = f"/api/registry/v1/enterprises/{org_id}/file"
        own = stack.issuer.headers(["enterprise"], org=org_id)

        async def entries() -> list[dict[str, object]]:
            response = await client.get(path, headers=own)
            assert response.status_code == 200, response.text
            return list(response.json()["items"])

        timeline = await eventually(entries)
        assert [(e["title_zh"], e["source"], e["event_type"]) for e in timeline] == [
            ("组织已登记", "registry", "cn.gov.sihua.registry.organisation.registered.v1")
        ]
        assert timeline[0]["data"]["organisation_id"] == org_id

        district = await client.get(path, headers=stack.issuer.headers(["district_officer"], district="huangpu"))
        assert district.status_code == 200 and district.json()["total"] == 1
        other_district = await client.get(path, headers=stack.issuer.headers(["district_officer"], district="tianhe"))
        assert other_district.status_code == 403
        other_enterprise = await client.get(path, headers=stack.issuer.headers(["enterprise"], org="someone-else"))
        assert other_enterprise.status_code == 403
        expert = await client.get(path, headers=stack.issuer.headers(["expert"]))
        assert expert.status_code == 403
        anonymous = await client.get(path)
        assert anonymous.status_code == 401
        malformed = await client.get("/api/registry/v1/enterprises/nope/file", headers=officer)
        assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "path.organisation_id"
        missing = await client.get(f"/api/registry/v1/enterprises/{uuid.uuid4()}/file", headers=officer)
        assert missing.status_code == 404


FUNDING_AND_CATALOG = [  # (contract, the payload field naming the enterprise)
    (funding.PROJECT_CONTRACTED, "enterprise_id"), (funding.INVESTMENT_APPROVED, "enterprise_id"),
    (funding.PROJECT_COMPLETED, "enterprise_id"), (funding.ACCEPTANCE_APPLIED, "enterprise_id"),
    (funding.PROJECT_ACCEPTED, "enterprise_id"), (funding.PROJECT_FAILED, "enterprise_id"),
    (funding.APPLICATION_APPROVED, "applicant_id"), (funding.APPLICATION_REJECTED, "applicant_id"),
    (funding.PAYMENT_PAID, "applicant_id"), (funding.CLAWBACK_OPENED, "applicant_id"),
    (funding.CLAWBACK_SETTLED, "applicant_id"),
    (catalog.GROUP_PURCHASE_DELIVERED, "enterprise_id"), (catalog.RECOMMENDATION_ISSUED, "enterprise_id"),
]


async def test_enterprise_file_shows_funding_and_catalog_facts(stack: Stack) -> None:
    """Funding's project, application, payment and claw-back facts and catalog's delivery and recommendation facts,
    on NATS, land in the enterprise's file in order, each linked to its fact; another enterprise's stay out of it."""
    settings = await stack.settings("registry")
    await stack.create_streams("funding", "catalog")
    officer = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client, running_worker(SPEC, settings):
        created = await client.post(ORGS, headers=officer, json={
            "uscc": make_uscc(42), "name": "资金事实测试企业", "kind": "enterprise", "district": "huangpu"})
        assert created.status_code == 201, created.text
        org_id = created.json()["id"]
        sent = []
        for spec, field in FUNDING_AND_CATALOG:
            payload = spec.parse({**(spec.example or {}), field: org_id})
            event = new_event(spec, payload, subject=org_id, aggregate_version=1)
            sent.append(event)
            await publish_raw(stack.servers, spec.subject(stack.namespace), event.model_dump_json().encode())
        stranger = new_event(funding.PAYMENT_PAID, funding.PAYMENT_PAID.parse(funding.PAYMENT_PAID.example or {}), subject="x")
        await publish_raw(stack.servers, funding.PAYMENT_PAID.subject(stack.namespace), stranger.model_dump_json().encode())
        path = f"/api/registry/v1/enterprises/{org_id}/file"
        own = stack.issuer.headers(["enterprise"], org=org_id)

        async def filed() -> list[dict[str, Any]] | None:
            response = await client.get(path, headers=own, params={"limit": 100})
            assert response.status_code == 200, response.text
            items = list(response.json()["items"])
            return items if len(items) >= len(sent) + 1 else None

        timeline = await eventually(filed, timeout=30)
    assert timeline[0]["event_type"] == "cn.gov.sihua.registry.organisation.registered.v1"
    assert [(e["event_id"], e["event_type"]) for e in timeline[1:]] == [(s.id, s.type) for s in sent]  # oldest first
    assert [e["title_zh"] for e in timeline[1:]] == [spec.title_zh for spec, _ in FUNDING_AND_CATALOG]
    assert [e["source"] for e in timeline[1:]] == [spec.service for spec, _ in FUNDING_AND_CATALOG]
    paid = next(e for e in timeline if e["event_type"].endswith("payment.paid.v1"))
    assert paid["data"]["applicant_id"] == org_id and paid["data"]["amount_fen"] == 3_000_000
    assert stranger.id not in {e["event_id"] for e in timeline}
