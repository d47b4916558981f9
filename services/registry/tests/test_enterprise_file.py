"""The enterprise file (一企一档) is assembled from facts and readable by the enterprise and its officials."""

from __future__ import annotations

import uuid

from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

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
