"""Live access tokens that must stop working before they expire.

A city officer deactivates an agency's client credentials: the grant refuses it at once, the registry refuses its
live access tokens within seconds, and ``account.deactivated`` (the client id as the account) goes to every other
service, whose apis refuse them the same way (sihua_shared.revocation). A withdrawn expert's next tokens carry no
``expert`` role and its live ones lose it within seconds."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from sqlalchemy import select

from registry.adapters.account_tables import accounts
from registry.application.password_reset import issue_reset_token
from registry.main import create_app
from sihua_shared.clock import now_utc
from sihua_shared.contracts.registry import ACCOUNT_DEACTIVATED, EXPERT_LEFT_POOL
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, eventually, service_client
from tests.pipeline.helpers import rows

from .test_accounts import API, TOKEN, bearer, login, officer, signed_in


async def test_a_deactivated_client_is_refused_and_its_fact_published(stack: Stack) -> None:
    settings = await stack.settings("registry", revocation_refresh_seconds=0.2)
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        city = await signed_in(client, "city.admin", password)
        created = await client.post(f"{API}/clients", json={"name": "某银行拨付接口", "roles": ["service"]}, headers=city)
        assert created.status_code == 201, created.text
        client_id, secret = created.json()["client_id"], created.json()["client_secret"]
        assert created.json()["version"] == 1 and created.json()["active"] is True
        grant = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        token = (await client.post(TOKEN, data=grant)).json()["access_token"]
        assert (await client.get(f"{API}/organisations", headers=bearer(token))).status_code == 200

        one = f"{API}/clients/{client_id}"
        read = await client.get(one, headers=city)
        assert read.status_code == 200 and "secret_hash" not in read.json() and "client_secret" not in read.json()
        assert (await client.get(one, headers=stack.issuer.headers(["auditor"]))).status_code == 200
        assert (await client.get(one, headers=bearer(token))).status_code == 403  # not even itself
        reason = {"reason": "密钥疑似泄露"}
        assert (await client.post(f"{one}/deactivate", json=reason, headers=city)).status_code == 428
        district = stack.issuer.headers(["district_officer"], district="huangpu")
        refused = await client.post(f"{one}/deactivate", json=reason, headers={**district, "If-Match": read.headers["etag"]})
        assert refused.status_code == 403
        done = await client.post(f"{one}/deactivate", json=reason, headers={**city, "If-Match": read.headers["etag"]})
        assert done.status_code == 200, done.text
        assert done.json()["active"] is False and done.json()["version"] == 2 and done.headers["etag"] == '"2"'
        again = await client.post(f"{one}/deactivate", json=reason, headers={**city, "If-Match": '"2"'})
        assert again.status_code == 409

        denied = await client.post(TOKEN, data=grant)
        assert denied.status_code == 401 and denied.json()["error"] == "invalid_client"

        async def token_refused() -> bool:
            response = await client.get(f"{API}/organisations", headers=bearer(token))
            return response.status_code == 401 and response.json()["detail"] == "the account is deactivated"

        assert await eventually(token_refused, timeout=10)
        missing = await client.get(f"{API}/clients/agency-0000000000000000", headers=city)
        assert missing.status_code == 404

    facts = await rows(settings.database_url, select(outbox.c.envelope).where(outbox.c.type == ACCOUNT_DEACTIVATED.type))
    assert [f.envelope["data"] for f in facts] == [{"account_id": client_id, "organisation_id": None, "version": 2}]
    assert facts[0].envelope["aggregateversion"] in (2, "2")
    audited = await rows(settings.database_url, select(audit_log.c.action, audit_log.c.after).where(
        audit_log.c.action == "client.deactivate"))
    assert len(audited) == 1 and audited[0].after["reason"] == "密钥疑似泄露" and "secret_hash" not in audited[0].after


async def test_a_withdrawn_expert_loses_the_role_in_new_and_live_tokens(stack: Stack) -> None:
    settings = await stack.settings("registry", revocation_refresh_seconds=0.2)
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        city = await signed_in(client, "city.admin", password)
        made = await client.post(f"{API}/accounts", headers=city, json={
            "username": "expert.wang", "display_name": "王专家", "email": "wang@example.cn", "roles": ["expert"]})
        assert made.status_code == 201, made.text
        expert_id, expert_password = made.json()["id"], made.json()["initial_password"]
        live = await signed_in(client, "expert.wang", expert_password)
        backlog = f"{API}/experts/me/assignments"
        assert (await client.get(backlog, headers=live)).status_code == 200

        withdrawn = await client.post(f"{API}/experts/{expert_id}/withdraw", json={"reason": "本人申请退出专家库"}, headers=city)
        assert withdrawn.status_code == 200, withdrawn.text

        async def refused() -> bool:
            response = await client.get(backlog, headers=live)
            return response.status_code == 403 and response.json()["code"] == "role_required"

        assert await eventually(refused, timeout=10)
        fresh = await login(client, "expert.wang", expert_password)
        assert fresh.status_code == 200, fresh.text
        claims = jwt.decode(fresh.json()["access_token"], options={"verify_signature": False})
        assert "expert" not in claims["roles"]
        me = await client.get(f"{API}/accounts/me", headers=live)  # still the person's own account
        assert me.status_code == 200 and me.json()["roles"] == []

    facts = await rows(settings.database_url, select(outbox.c.envelope).where(outbox.c.type == EXPERT_LEFT_POOL.type))
    assert [f.envelope["data"]["expert_account_id"] for f in facts] == [expert_id]  # a profile-less expert too


async def test_a_password_reset_ends_the_live_access_tokens(stack: Stack) -> None:
    settings = await stack.settings("registry", revocation_refresh_seconds=0.2)
    account_id, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        live = await signed_in(client, "city.admin", password)
        assert (await client.get(f"{API}/accounts/me", headers=live)).status_code == 200
        await asyncio.sleep(1.1)  # tokens carry whole seconds: the reset comes a second later
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                account = (await session.execute(select(accounts).where(accounts.c.id == account_id))).mappings().one()
                link = await issue_reset_token(session, account, now_utc())
        finally:
            await engine.dispose()
        assert link is not None
        done = await client.post(f"{API}/password-reset/confirm", json={"token": link, "new_password": "NewPassw0rd2026"})
        assert done.status_code == 200, done.text

        async def refused() -> Any:
            response = await client.get(f"{API}/accounts/me", headers=live)
            return response.json() if response.status_code == 401 else None

        problem = await eventually(refused, timeout=10)
        assert problem["errors"][0]["message_zh"] == "密码已重置，请重新登录"
        fresh = await signed_in(client, "city.admin", "NewPassw0rd2026")
        me = await client.get(f"{API}/accounts/me", headers=fresh)
        assert me.status_code == 200 and me.json()["id"] == account_id
        assert (await client.get(f"{API}/accounts/me", headers=live)).status_code == 401  # still refused
