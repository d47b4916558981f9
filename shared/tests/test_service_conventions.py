"""The HTTP conventions every service shares, exercised on real apps over a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sihua_shared.asyncapi import build_asyncapi
from sihua_shared.settings import SERVICES
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows, spec_of

ORGS = "/api/registry/v1/organisations"


def _app(service: str, settings: object) -> object:
    import importlib

    return importlib.import_module(f"{service}.main").create_app(settings)


@pytest.mark.parametrize("service", SERVICES)
async def test_operational_endpoints(stack: Stack, service: str) -> None:
    settings = await stack.settings(service)
    async with service_client(_app(service, settings)) as client:  # type: ignore[arg-type]
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
        # the deactivated accounts were read before the first request (revocation.py)
        assert ready.json()["checks"]["deactivated_accounts"]["count"] == 0
        assert ready.json()["checks"]["deactivated_accounts"]["age_seconds"] is not None
        assert (await client.get("/openapi.json")).json()["info"]["title"].startswith(f"Sihua {service}")
        assert "swagger-ui" in (await client.get("/docs")).text
        assert (await client.get("/asyncapi.json")).json() == build_asyncapi(
            spec_of(service), nats_host=stack.servers.nats_url.removeprefix("nats://")
        )
        metrics = (await client.get("/metrics")).text
        assert "sihua_outbox_backlog" in metrics and "sihua_deactivated_accounts_age_seconds" in metrics


async def test_readiness_fails_when_the_database_is_unreachable(stack: Stack) -> None:
    settings = await stack.settings("catalog", database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none")
    async with service_client(_app("catalog", settings)) as client:  # type: ignore[arg-type]
        ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not_ready"


async def _count_orgs(url: str) -> int:
    from registry.adapters.tables import organisations

    return int((await rows(url, select(func.count()).select_from(organisations)))[0][0])


async def test_problem_details_auth_and_limits(stack: Stack) -> None:
    settings = await stack.settings("registry", max_body_bytes=2000)
    officer = stack.issuer.headers(["city_officer"])
    body = {"uscc": make_uscc(5), "name": "规范测试企业", "kind": "enterprise"}
    async with service_client(_app("registry", settings)) as client:  # type: ignore[arg-type]
        # unauthenticated, bad token, expired token, wrong role
        missing = await client.post(ORGS, json=body)
        assert missing.status_code == 401 and missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["errors"][0]["message_zh"]
        forged = await client.post(ORGS, json=body, headers={"Authorization": "Bearer abc.def.ghi"})
        assert forged.status_code == 401
        expired = stack.issuer.headers(["city_officer"], expires_in=-60)
        assert (await client.post(ORGS, json=body, headers=expired)).status_code == 401
        wrong_role = await client.post(ORGS, json=body, headers=stack.issuer.headers(["enterprise"]))
        assert wrong_role.status_code == 403 and wrong_role.json()["code"] == "role_required"
        # malformed and invalid bodies name the field, in Chinese and English
        malformed = await client.post(ORGS, content=b"{not json", headers={**officer, "Content-Type": "application/json"})
        assert malformed.status_code == 422
        invalid = await client.post(ORGS, json={**body, "uscc": "123"}, headers=officer)
        problem = invalid.json()
        assert invalid.status_code == 422 and problem["code"] == "validation_failed"
        assert problem["errors"][0]["field"] == "body.uscc"
        assert problem["errors"][0]["message_zh"] and problem["errors"][0]["message_en"]
        assert problem["type"].endswith("validation_failed") and problem["instance"] == ORGS
        # oversized: refused before the route runs
        big = await client.post(ORGS, json={**body, "name": "大" * 3000}, headers=officer)
        assert big.status_code == 413 and big.json()["code"] == "body_too_large"
        assert await _count_orgs(settings.database_url) == 0
        # request id: echoed when sane, generated otherwise
        ok = await client.post(ORGS, json=body, headers={**officer, "X-Request-ID": "req-123"})
        assert ok.status_code == 201 and ok.headers["x-request-id"] == "req-123"
        assert ok.headers["etag"] == '"1"'
        again = await client.post(ORGS, json=body, headers=officer)
        assert again.status_code == 409 and again.json()["errors"][0]["field"] == "body.uscc"
    assert await _count_orgs(settings.database_url) == 1


async def test_idempotency_key_replays_the_first_answer(stack: Stack) -> None:
    settings = await stack.settings("registry")
    officer = stack.issuer.headers(["city_officer"], sub="officer-1")
    body = {"uscc": make_uscc(6), "name": "幂等测试企业", "kind": "enterprise"}
    async with service_client(_app("registry", settings)) as client:  # type: ignore[arg-type]
        headers = {**officer, "Idempotency-Key": "create-org-6"}
        first = await client.post(ORGS, json=body, headers=headers)
        second = await client.post(ORGS, json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
        other = await client.post(ORGS, json={**body, "name": "另一个"}, headers=headers)
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert await _count_orgs(settings.database_url) == 1


async def test_audit_trail_records_changes_and_refuses_edits(stack: Stack) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from sihua_shared.tables import audit_log

    settings = await stack.settings("registry")
    officer = stack.issuer.headers(["city_officer"], sub="officer-2")
    async with service_client(_app("registry", settings)) as client:  # type: ignore[arg-type]
        response = await client.post(
            ORGS, json={"uscc": make_uscc(7), "name": "审计测试企业", "kind": "enterprise"},
            headers={**officer, "X-Request-ID": "audit-req"},
        )
    assert response.status_code == 201
    entries = await rows(settings.database_url, select(audit_log))
    assert [(e.actor_id, e.action, e.entity_id, e.correlation_id) for e in entries] == [
        ("officer-2", "organisation.register", response.json()["id"], "audit-req")
    ]
    engine = create_async_engine(settings.database_url)
    try:
        with pytest.raises(Exception, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM audit_log"))
    finally:
        await engine.dispose()
