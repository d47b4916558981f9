"""The backbone end to end: registry publishes `organisation registered`; the other four services each
record it in their own read model, over real NATS and real PostgreSQL."""

from __future__ import annotations

from contextlib import AsyncExitStack

from sqlalchemy import select

from registry.main import create_app
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .helpers import CONSUMERS, organisations_seen, rows, spec_of

ORG = {"uscc": make_uscc(1), "name": "广州示例制造有限公司", "kind": "enterprise", "district": "huangpu"}


async def test_organisation_registered_reaches_every_service(stack: Stack) -> None:
    registry_settings = await stack.settings("registry")
    consumer_settings = {s: await stack.settings(s) for s in CONSUMERS}
    officer = stack.issuer.headers(["city_officer"])
    async with AsyncExitStack() as running:
        client = await running.enter_async_context(service_client(create_app(registry_settings)))
        await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
        for service, settings in consumer_settings.items():
            await running.enter_async_context(running_worker(spec_of(service), settings))

        response = await client.post("/api/registry/v1/organisations", json=ORG, headers=officer)
        assert response.status_code == 201, response.text
        org_id = response.json()["id"]
        request_id = response.headers["x-request-id"]
        published = await rows(registry_settings.database_url, select(outbox.c.envelope))
        assert [(e.envelope["type"], e.envelope["subject"], e.envelope["correlationid"]) for (e) in published] == [
            ("cn.gov.sihua.registry.organisation.registered.v1", org_id, request_id)
        ]

        for service, settings in consumer_settings.items():

            async def seen(url: str = settings.database_url) -> list[object]:
                return await organisations_seen(url)

            found = await eventually(seen)
            assert [(r.organisation_id, r.uscc, r.name, r.facts_applied) for r in found] == [
                (org_id, ORG["uscc"], ORG["name"], 1)
            ], service
