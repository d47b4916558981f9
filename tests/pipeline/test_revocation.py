"""Revocation takes effect: once the registry deactivates an account, another service refuses its still-unexpired
access token within five seconds, over real NATS and PostgreSQL; reactivation lets it back in."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
from sqlalchemy import select

from diagnosis.adapters.tables import deactivated_accounts
from diagnosis.main import create_app as create_diagnosis
from funding.adapters.tables import deactivated_accounts as funding_deactivated
from registry.main import create_app as create_registry
from sihua_shared.contracts.registry import ACCOUNT_DEACTIVATED, ACCOUNT_REACTIVATED
from sihua_shared.revocation import DeactivatedAccounts, deactivated_ids
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, served_app, service_client

from .helpers import rows, spec_of
from .test_registry_readmodels import _send

REGISTRY = "/api/registry/v1"
ASSESSMENTS = "/api/diagnosis/v1/assessments"
WITHIN = 5.0  # seconds, issue 7 §4


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _login(registry: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    response = await registry.post(f"{REGISTRY}/oauth/token",
                                   data={"grant_type": "password", "username": username, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _status_within(client: httpx.AsyncClient, url: str, headers: dict[str, str], status: int) -> float:
    """Seconds until ``url`` answers ``status``; fails after WITHIN seconds."""
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def answered() -> bool:
        return (await client.get(url, headers=headers)).status_code == status

    await eventually(answered, timeout=WITHIN, interval=0.1)
    return loop.time() - started


async def test_a_deactivated_account_is_refused_by_another_service_within_five_seconds(stack: Stack) -> None:
    registry_settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with AsyncExitStack() as running:
        # the registry over real HTTP, so that diagnosis fetches its JWKS the way a deployment does
        registry_url = await running.enter_async_context(served_app(create_registry(registry_settings)))
        diagnosis_settings = await stack.settings("diagnosis", jwks_url=f"{registry_url}/.well-known/jwks.json")
        registry = await running.enter_async_context(httpx.AsyncClient(base_url=registry_url))
        diagnosis = await running.enter_async_context(service_client(create_diagnosis(diagnosis_settings)))
        await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
        await running.enter_async_context(running_worker(spec_of("diagnosis"), diagnosis_settings))

        org = await registry.post(f"{REGISTRY}/organisations", headers=city,
                                  json={"uscc": make_uscc(41), "name": "停用测试企业", "kind": "enterprise", "district": "huangpu"})
        assert org.status_code == 201, org.text
        made = await registry.post(f"{REGISTRY}/accounts", headers=city, json={
            "username": "leaver", "display_name": "离职员工", "email": "leaver@example.cn", "roles": ["enterprise"],
            "organisation_id": org.json()["id"]})
        assert made.status_code == 201, made.text
        account_id, password = made.json()["id"], made.json()["initial_password"]
        tokens = await _login(registry, "leaver", password)
        old = bearer(tokens["access_token"])
        own = f"{REGISTRY}/accounts/{account_id}"
        assert (await diagnosis.get(ASSESSMENTS, headers=old)).status_code == 200
        assert (await registry.get(own, headers=old)).status_code == 200

        deactivated = await registry.post(f"{own}/deactivate", headers={**city, "If-Match": '"1"'})
        assert deactivated.status_code == 200, deactivated.text
        # the access token has not expired (15 minutes), yet both services refuse it within five seconds
        await _status_within(diagnosis, ASSESSMENTS, old, 401)
        await _status_within(registry, own, old, 401)
        refused = await diagnosis.get(ASSESSMENTS, headers=old)
        assert refused.json()["errors"][0]["message_zh"] == "账号已停用" and refused.json()["detail"] == "the account is deactivated"
        again = await registry.post(f"{REGISTRY}/oauth/token",
                                    data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

        reactivated = await registry.post(f"{own}/activate", headers={**city, "If-Match": '"2"'})
        assert reactivated.status_code == 200, reactivated.text
        fresh = bearer((await _login(registry, "leaver", password))["access_token"])
        await _status_within(diagnosis, ASSESSMENTS, fresh, 200)
        await _status_within(registry, own, fresh, 200)

    facts = await rows(registry_settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))
    account_facts = [(e.envelope["type"], e.envelope["subject"], e.envelope["aggregateversion"], e.envelope["data"])
                     for e in facts if ".account." in e.envelope["type"]]
    assert account_facts == [
        ("cn.gov.sihua.registry.account.deactivated.v1", account_id, 2,
         {"account_id": account_id, "organisation_id": org.json()["id"], "version": 2}),
        ("cn.gov.sihua.registry.account.reactivated.v1", account_id, 3,
         {"account_id": account_id, "organisation_id": org.json()["id"], "version": 3}),
    ]
    held = await rows(diagnosis_settings.database_url, select(deactivated_accounts))
    assert [(r.account_id, r.deactivated, r.version) for r in held] == [(account_id, False, 3)]


async def test_a_late_deactivation_never_undoes_a_newer_reactivation(stack: Stack) -> None:
    """Redelivery may reorder: the read model keeps the newest version of each account, so the api's set follows it."""

    settings = await stack.settings("funding")
    async with running_worker(spec_of("funding"), settings) as worker:
        await _send(stack, ACCOUNT_REACTIVATED, 3, {"account_id": "a-1", "version": 3})
        await _send(stack, ACCOUNT_DEACTIVATED, 2, {"account_id": "a-1", "version": 2})  # older, arriving late
        await _send(stack, ACCOUNT_DEACTIVATED, 2, {"account_id": "a-2", "version": 2})

        async def all_handled() -> bool:
            return bool(worker.runners) and worker.runners[0].counts["processed"] == 3

        await eventually(all_handled)
        held = await rows(settings.database_url, select(funding_deactivated).order_by(funding_deactivated.c.account_id))
        assert [(r.account_id, r.deactivated, r.version) for r in held] == [("a-1", False, 3), ("a-2", True, 2)]
        refused = DeactivatedAccounts(deactivated_ids(funding_deactivated))
        await refused.refresh(worker._factory())
        assert "a-2" in refused and "a-1" not in refused and len(refused) == 1
