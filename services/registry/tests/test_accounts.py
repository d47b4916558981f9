"""Accounts and tokens: the OAuth grants, JWKS, throttling, password reset, the CLI, roles and audit.

Everything runs against a real PostgreSQL; JWKS publication is proven over real HTTP, password reset
through a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import base64
import email
import email.policy
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from registry.accounts import create_city_officer
from registry.adapters.account_tables import accounts, api_clients, password_reset_tokens, refresh_tokens
from registry.main import create_app
from sihua_shared.auth import TokenVerifier
from sihua_shared.problems import ProblemError
from sihua_shared.settings import Settings
from sihua_shared.tables import audit_log
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, served_app, service_client
from sihua_shared.testing.smtp import smtp_server
from tests.pipeline.helpers import rows

API = "/api/registry/v1"
TOKEN = f"{API}/oauth/token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"grant_type": "password", "username": username, "password": password})


async def signed_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def officer(settings: Settings, username: str = "city.admin") -> tuple[str, str]:
    """A city officer made the way operators make the first one; answers (id, password)."""
    return await create_city_officer(settings.database_url, username, f"{username}@gz.gov.cn", "市级管理员")


async def execute(settings: Settings, statement: Any) -> None:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(statement)
    finally:
        await engine.dispose()


async def audit_actions(settings: Settings) -> list[str]:
    found = await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))
    return [r.action for r in found]


async def register_org(client: httpx.AsyncClient, headers: dict[str, str], n: int, district: str, kind: str = "enterprise") -> str:
    body = {"uscc": make_uscc(n), "name": f"账号测试单位{n}", "kind": kind, "district": district}
    response = await client.post(f"{API}/organisations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def new_account(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    payload = {"display_name": body.get("username", "x"), "email": f"{body.get('username', 'x')}@example.cn", **body}
    return await client.post(f"{API}/accounts", json=payload, headers=headers)


# ---- the password grant, and a second service verifying through the published JWKS ------------------


async def test_password_flow_token_is_accepted_by_the_registry_and_by_another_service(stack: Stack) -> None:
    settings = await stack.settings("registry")
    account_id, password = await officer(settings)
    async with served_app(create_app(settings)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        response = await login(client, "City.Admin", password)  # usernames are case-insensitive
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        issued = response.json()
        assert issued["token_type"] == "Bearer" and issued["expires_in"] == settings.access_token_minutes * 60
        assert issued["refresh_token"]
        access = issued["access_token"]
        header = jwt.get_unverified_header(access)
        claims = jwt.decode(access, options={"verify_signature": False})
        assert header["alg"] == "RS256" and header["kid"]
        assert claims["iss"] == settings.jwt_issuer and claims["aud"] == "sihua" and claims["typ"] == "access"
        assert claims["sub"] == account_id and claims["roles"] == ["city_officer"]
        assert "org" not in claims and "district" not in claims
        assert claims["exp"] - claims["iat"] == settings.access_token_minutes * 60

        me = await client.get(f"{API}/accounts/me", headers=bearer(access))
        assert me.status_code == 200 and me.json()["username"] == "city.admin" and "password_hash" not in me.json()

        # Another service knows nothing but the JWKS URL.
        verifier = TokenVerifier(issuer=settings.jwt_issuer, audience="sihua", jwks_url=f"{base_url}/.well-known/jwks.json")
        actor = await verifier.verify(access)
        assert (actor.id, actor.roles, actor.org) == (account_id, frozenset({"city_officer"}), None)
        published = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert [k["kid"] for k in published] == [header["kid"]] and "d" not in published[0]
        # ... and refuses a token signed by any other key.
        with pytest.raises(ProblemError) as refused:
            await verifier.verify(stack.issuer.mint(["city_officer"]))
        assert refused.value.status == 401

    stored = await rows(settings.database_url, select(accounts.c.password_hash))
    assert stored[0].password_hash.startswith("$argon2id$") and password not in stored[0].password_hash
    tokens = await rows(settings.database_url, select(refresh_tokens.c.token_hash))
    assert len(tokens) == 1 and tokens[0].token_hash != issued["refresh_token"]
    assert await audit_actions(settings) == ["account.create", "account.login"]


async def test_expired_access_token_is_refused(stack: Stack) -> None:
    settings = await stack.settings("registry", access_token_minutes=0)
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        headers = await signed_in(client, "city.admin", password)
        response = await client.get(f"{API}/accounts/me", headers=headers)
    assert response.status_code == 401 and response.json()["detail"] == "token expired"


# ---- client credentials --------------------------------------------------------------------------


async def test_client_credentials_flow(stack: Stack) -> None:
    settings = await stack.settings("registry")
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        headers = await signed_in(client, "city.admin", password)
        created = await client.post(f"{API}/clients", json={"name": "省工信厅数据交换", "roles": ["service"]}, headers=headers)
        assert created.status_code == 201, created.text
        client_id, secret = created.json()["client_id"], created.json()["client_secret"]

        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        by_basic = await client.post(TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})
        assert by_basic.status_code == 200, by_basic.text
        assert "refresh_token" not in by_basic.json()
        claims = jwt.decode(by_basic.json()["access_token"], options={"verify_signature": False})
        assert claims["sub"] == client_id and claims["roles"] == ["service"] and claims["typ"] == "access"

        by_form = await client.post(
            TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )
        assert by_form.status_code == 200
        me = await client.get(f"{API}/accounts/me", headers=bearer(by_form.json()["access_token"]))
        assert me.status_code == 404 and me.json()["code"] == "not_an_account"

        wrong = await client.post(
            TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret + "x"}
        )
        body = wrong.json()
        assert wrong.status_code == 401 and body["error"] == "invalid_client" and body["error_description"]
        assert body["status"] == 401 and body["errors"][0]["message_zh"] and body["errors"][0]["message_en"]
        wrong_basic = await client.post(
            TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {base64.b64encode(b'nobody:x').decode()}"}
        )
        assert wrong_basic.status_code == 401 and wrong_basic.headers["www-authenticate"].startswith("Basic")

        # only city officers issue client credentials
        enterprise = stack.issuer.headers(["enterprise"], org="some-org")
        assert (await client.post(f"{API}/clients", json={"name": "某机构", "roles": ["service"]}, headers=enterprise)).status_code == 403

    stored = await rows(settings.database_url, select(api_clients.c.secret_hash, api_clients.c.created_by))
    assert len(stored) == 1 and stored[0].secret_hash.startswith("$argon2id$") and secret not in stored[0].secret_hash


# ---- refresh tokens ------------------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_chain(stack: Stack) -> None:
    settings = await stack.settings("registry")
    account_id, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        first = (await login(client, "city.admin", password)).json()["refresh_token"]
        rotated = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()["refresh_token"]
        assert second != first
        me = await client.get(f"{API}/accounts/me", headers=bearer(rotated.json()["access_token"]))
        assert me.status_code == 200 and me.json()["id"] == account_id

        replayed = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
        assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
        # the replay revoked the whole chain: the legitimate newer token no longer works either
        after = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": second})
        assert after.status_code == 400 and after.json()["errors"][0]["field"] == "body.refresh_token"

        # signing out (RFC 7009) revokes a fresh login's token; unknown tokens are not an error
        third = (await login(client, "city.admin", password)).json()["refresh_token"]
        assert (await client.post(f"{API}/oauth/revoke", data={"token": third})).status_code == 200
        assert (await client.post(f"{API}/oauth/revoke", data={"token": "never-issued-token"})).status_code == 200
        revoked = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": third})
        assert revoked.status_code == 400
        garbage = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "nonsense"})
        assert garbage.status_code == 400

    chain = await rows(
        settings.database_url,
        select(refresh_tokens.c.rotated_from, refresh_tokens.c.used_at, refresh_tokens.c.revoked_at).order_by(refresh_tokens.c.created_at),
    )
    assert len(chain) == 3 and all(r.revoked_at is not None for r in chain)
    assert chain[0].used_at is not None and chain[1].rotated_from is not None
    assert await audit_actions(settings) == [
        "account.create", "account.login", "refresh_token.rotate", "refresh_token.reuse_detected",
        "account.login", "refresh_token.revoke",
    ]


# ---- throttling ----------------------------------------------------------------------------------


async def test_five_failed_logins_lock_the_account_until_the_lock_lifts(stack: Stack) -> None:
    settings = await stack.settings("registry")
    account_id, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        for _ in range(5):
            failed = await login(client, "city.admin", "wrong-password-1")
            assert failed.status_code == 400 and failed.json()["error"] == "invalid_grant"
            assert failed.json()["errors"][0]["message_zh"] == "用户名或密码错误"
        unknown = await login(client, "nobody.here", "wrong-password-1")
        assert unknown.status_code == 400 and unknown.json()["errors"] == failed.json()["errors"]

        locked = await login(client, "city.admin", password)  # even the right password waits
        assert locked.status_code == 429 and locked.json()["code"] == "login_throttled"
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        (row,) = await rows(settings.database_url, select(accounts.c.locked_until, accounts.c.failed_logins))
        assert row.locked_until is not None

        # fifteen minutes pass
        await execute(settings, accounts.update().values(locked_until=func.now() - text("interval '1 second'")))
        assert (await login(client, "city.admin", password)).status_code == 200
    (row,) = await rows(settings.database_url, select(accounts.c.locked_until, accounts.c.failed_logins))
    assert row.locked_until is None and row.failed_logins == 0
    actions = await audit_actions(settings)
    assert actions == ["account.create"] + ["account.login_failed"] * 4 + ["account.lock", "account.login"]


# ---- password reset through a real SMTP server ---------------------------------------------------


async def test_password_reset_by_an_emailed_one_time_link(stack: Stack) -> None:
    public = "https://sihua.example.gov.cn"
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=public)
        _, old_password = await officer(settings)
        async with service_client(create_app(settings)) as client:
            old_refresh = (await login(client, "city.admin", old_password)).json()["refresh_token"]
            unknown = await client.post(f"{API}/password-reset/request", json={"login": "nobody@example.cn"})
            asked = await client.post(f"{API}/password-reset/request", json={"login": "CITY.ADMIN@gz.gov.cn"})
            assert unknown.status_code == asked.status_code == 202 and unknown.json() == asked.json()

            async def received() -> list[email.message.EmailMessage]:
                return inbox.messages

            (mail,) = await eventually(received, timeout=10)
            assert mail["To"] == "city.admin@gz.gov.cn" and "重置密码" in str(mail["Subject"])
            body = mail.get_body(("plain",))
            assert body is not None
            content = body.get_content()
            link = re.search(rf"{re.escape(public)}{API}/password-reset\?token=(\S+)", content)
            assert link, content
            token = link.group(1)
            page = await client.get(f"{API}/password-reset", params={"token": token})
            assert page.status_code == 200 and token in page.text

            weak = await client.post(f"{API}/password-reset/confirm", json={"token": token, "new_password": "short1"})
            assert weak.status_code == 422 and {e["field"] for e in weak.json()["errors"]} == {"body.new_password"}
            no_digit = await client.post(f"{API}/password-reset/confirm", json={"token": token, "new_password": "onlyletters-here"})
            assert no_digit.status_code == 422 and no_digit.json()["errors"][0]["message_zh"] == "密码须同时包含字母和数字"
            assert (await login(client, "city.admin", old_password)).status_code == 200  # nothing changed yet

            new_password = "NewPassw0rd2025"
            done = await client.post(f"{API}/password-reset/confirm", json={"token": token, "new_password": new_password})
            assert done.status_code == 200, done.text
            again = await client.post(f"{API}/password-reset/confirm", json={"token": token, "new_password": "Another1234x"})
            assert again.status_code == 422 and again.json()["code"] == "invalid_reset_token"
            assert again.json()["errors"][0]["field"] == "body.token"

            assert (await login(client, "city.admin", old_password)).status_code == 400
            assert (await login(client, "city.admin", new_password)).status_code == 200
            ended = await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": old_refresh})
            assert ended.status_code == 400  # the reset ended earlier sessions
    assert len(inbox.messages) == 1
    (reset,) = await rows(settings.database_url, select(password_reset_tokens.c.token_hash, password_reset_tokens.c.used_at))
    assert reset.used_at is not None and reset.token_hash != token
    actions = await audit_actions(settings)
    assert actions == ["account.create", "account.login", "password_reset.request", "account.login",
                       "account.password_reset", "account.login_failed", "account.login"]


# ---- the operator's command ----------------------------------------------------------------------


def _run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIHUA_REGISTRY_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "registry.accounts", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_cli_creates_a_city_officer_with_a_password_printed_once(stack: Stack) -> None:
    settings = await stack.settings("registry")
    args = ("create-city-officer", "--username", "first.officer", "--email", "first@gz.gov.cn", "--display-name", "首位市级管理员")
    done = _run_cli(settings, *args)
    assert done.returncode == 0, done.stderr
    (password,) = re.findall(r"password \(shown once / 仅显示一次\): (\S+)", done.stdout)
    assert len(password) >= 10
    async with service_client(create_app(settings)) as client:
        headers = await signed_in(client, "first.officer", password)
        me = (await client.get(f"{API}/accounts/me", headers=headers)).json()
    assert me["roles"] == ["city_officer"] and me["display_name"] == "首位市级管理员" and me["district"] is None

    taken = _run_cli(settings, *args)
    assert taken.returncode == 1 and "body.username" in taken.stderr and "password" not in taken.stdout
    invalid = _run_cli(settings, "create-city-officer", "--username", "x", "--email", "not-an-email")
    assert invalid.returncode == 1 and "body.email" in invalid.stderr and "body.username" in invalid.stderr
    (row,) = await rows(settings.database_url, select(accounts.c.password_hash))
    assert row.password_hash.startswith("$argon2id$")
    assert [(r.actor_id, r.action) for r in await rows(settings.database_url, select(audit_log))] == [
        ("operator-cli", "account.create"), (me["id"], "account.login")
    ]


# ---- who may do what -----------------------------------------------------------------------------


@asynccontextmanager
async def district_setup(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, dict[str, Any]]]:
    """A city officer, organisations in 黄埔 and 天河, a 黄埔 district officer and an enterprise user."""
    settings = await stack.settings("registry")
    city_id, city_password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        city = await signed_in(client, "city.admin", city_password)
        huangpu_org = await register_org(client, city, 61, "huangpu")
        tianhe_org = await register_org(client, city, 62, "tianhe")
        district = await new_account(client, city, username="hp.officer", roles=["district_officer"], district="huangpu")
        assert district.status_code == 201, district.text
        enterprise = await new_account(client, city, username="hp.ent", roles=["enterprise"], organisation_id=huangpu_org)
        assert enterprise.status_code == 201, enterprise.text
        yield client, settings, {
            "city": city,
            "city_id": city_id,
            "district": await signed_in(client, "hp.officer", district.json()["initial_password"]),
            "district_id": district.json()["id"],
            "enterprise": await signed_in(client, "hp.ent", enterprise.json()["initial_password"]),
            "enterprise_id": enterprise.json()["id"],
            "huangpu_org": huangpu_org,
            "tianhe_org": tianhe_org,
        }


async def test_role_and_ownership_refusals(stack: Stack) -> None:
    async with district_setup(stack) as (client, settings, s):
        before = await rows(settings.database_url, select(func.count()).select_from(accounts))
        # an enterprise cannot list accounts, read an official's, or create officials or other organisations' people
        listing = await client.get(f"{API}/accounts", headers=s["enterprise"])
        assert listing.status_code == 403 and listing.json()["code"] == "role_required"
        assert (await client.get(f"{API}/accounts/{s['city_id']}", headers=s["enterprise"])).status_code == 403
        official = await new_account(client, s["enterprise"], username="ent.made.officer", roles=["district_officer"], district="huangpu")
        assert official.status_code == 403 and official.json()["code"] == "role_not_grantable"
        foreign = await new_account(client, s["enterprise"], username="ent.other", roles=["enterprise"], organisation_id=s["tianhe_org"])
        assert foreign.status_code == 403 and foreign.json()["code"] == "not_owner"
        # a district officer cannot create a city officer, nor accounts of another district
        city = await new_account(client, s["district"], username="hp.made.city", roles=["city_officer"])
        assert city.status_code == 403 and city.json()["errors"][0]["field"] == "body.roles"
        other = await new_account(client, s["district"], username="hp.made.th", roles=["enterprise"], organisation_id=s["tianhe_org"])
        assert other.status_code == 403 and other.json()["code"] == "outside_district"
        other_officer = await new_account(client, s["district"], username="hp.made.tho", roles=["district_officer"], district="tianhe")
        assert other_officer.status_code == 403
        expert = await new_account(client, s["district"], username="hp.made.expert", roles=["expert"])
        assert expert.status_code == 403
        assert await rows(settings.database_url, select(func.count()).select_from(accounts)) == before

        # what they may do
        colleague = await new_account(client, s["enterprise"], username="hp.ent2", roles=["enterprise"], organisation_id=s["huangpu_org"])
        assert colleague.status_code == 201, colleague.text
        assert colleague.json()["organisation_id"] == s["huangpu_org"]
        made = await new_account(client, s["district"], username="hp.ent3", roles=["enterprise"], organisation_id=s["huangpu_org"])
        assert made.status_code == 201
        claims = jwt.decode(
            (await login(client, "hp.ent3", made.json()["initial_password"])).json()["access_token"],
            options={"verify_signature": False},
        )
        assert claims["org"] == s["huangpu_org"] and claims["roles"] == ["enterprise"]

        # a district officer lists the accounts of their district only
        mine = await client.get(f"{API}/accounts", headers=s["district"], params={"limit": 2})
        assert mine.status_code == 200
        page = mine.json()
        assert page["total"] == 4 and page["limit"] == 2 and page["offset"] == 0 and len(page["items"]) == 2
        everything = (await client.get(f"{API}/accounts", headers=s["district"], params={"limit": 50})).json()["items"]
        assert {a["username"] for a in everything} == {"hp.officer", "hp.ent", "hp.ent2", "hp.ent3"}
        assert (await client.get(f"{API}/accounts", headers=s["city"])).json()["total"] == 5
        officers = await client.get(f"{API}/accounts", headers=s["city"], params={"role": "district_officer"})
        assert [a["username"] for a in officers.json()["items"]] == ["hp.officer"]


async def test_deactivation_needs_if_match_and_ends_sessions(stack: Stack) -> None:
    async with district_setup(stack) as (client, settings, s):
        colleague = await new_account(client, s["enterprise"], username="hp.leaver", roles=["enterprise"], organisation_id=s["huangpu_org"])
        leaver_id, leaver_password = colleague.json()["id"], colleague.json()["initial_password"]
        refresh = (await login(client, "hp.leaver", leaver_password)).json()["refresh_token"]
        path = f"{API}/accounts/{leaver_id}/deactivate"

        read = await client.get(f"{API}/accounts/{leaver_id}", headers=s["enterprise"])
        assert read.status_code == 200 and read.headers["etag"] == '"1"'
        missing = await client.post(path, headers=s["district"])
        assert missing.status_code == 428
        stale = await client.post(path, headers={**s["district"], "If-Match": '"7"'})
        assert stale.status_code == 412 and stale.headers["etag"] == '"1"'
        auditor = await client.post(path, headers={**stack.issuer.headers(["auditor"]), "If-Match": '"1"'})
        assert auditor.status_code == 403
        other_org = stack.issuer.headers(["enterprise"], org=s["tianhe_org"])
        assert (await client.post(path, headers={**other_org, "If-Match": '"1"'})).status_code == 403

        done = await client.post(path, headers={**s["district"], "If-Match": '"1"'})
        assert done.status_code == 200 and done.json()["active"] is False and done.headers["etag"] == '"2"'
        twice = await client.post(path, headers={**s["district"], "If-Match": '"2"'})
        assert twice.status_code == 409 and twice.json()["allowed"] == ["activate"]
        inactive = await login(client, "hp.leaver", leaver_password)
        assert inactive.status_code == 400 and inactive.json()["code"] == "account_inactive"
        assert (await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh})).status_code == 400
        own = await client.post(f"{API}/accounts/{s['enterprise_id']}/deactivate", headers={**s["enterprise"], "If-Match": '"1"'})
        assert own.status_code == 409 and own.json()["code"] == "own_account"

        back = await client.post(f"{API}/accounts/{leaver_id}/activate", headers={**s["city"], "If-Match": '"2"'})
        assert back.status_code == 200 and back.json()["active"] is True
        assert (await login(client, "hp.leaver", leaver_password)).status_code == 200

    entries = await rows(
        settings.database_url,
        select(audit_log.c.actor_id, audit_log.c.action, audit_log.c.before, audit_log.c.after)
        .where(audit_log.c.entity_id == leaver_id).order_by(audit_log.c.id),
    )
    assert [e.action for e in entries] == ["account.create", "account.login", "account.deactivate", "account.activate", "account.login"]
    deactivation = entries[2]
    assert deactivation.actor_id == s["district_id"]
    assert deactivation.before["active"] is True and deactivation.after["active"] is False
    assert all("password_hash" not in (e.after or {}) for e in entries)


# ---- bad input -----------------------------------------------------------------------------------


async def test_bad_input_answers_problems_with_field_paths_and_changes_nothing(stack: Stack) -> None:
    settings = await stack.settings("registry")
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        city = await signed_in(client, "city.admin", password)
        invalid = await client.post(
            f"{API}/accounts",
            json={"username": "ok.name", "display_name": "某人", "email": "no-at-sign", "roles": ["king"]},
            headers=city,
        )
        problem = invalid.json()
        assert invalid.status_code == 422 and problem["code"] == "validation_failed"
        assert invalid.headers["content-type"] == "application/problem+json"
        assert {e["field"] for e in problem["errors"]} == {"body.email", "body.roles.0"}
        assert all(e["message_zh"] and e["message_en"] for e in problem["errors"])

        shapeless = await new_account(client, city, username="no.district", roles=["district_officer"])
        assert shapeless.status_code == 422 and shapeless.json()["errors"][0]["field"] == "body.district"
        no_org = await new_account(client, city, username="no.org", roles=["enterprise"])
        assert no_org.status_code == 422 and no_org.json()["errors"][0]["field"] == "body.organisation_id"
        ghost_org = await new_account(client, city, username="ghost.org", roles=["enterprise"], organisation_id="nope")
        assert ghost_org.status_code == 422 and ghost_org.json()["errors"][0]["field"] == "body.organisation_id"
        taken = await new_account(client, city, username="CITY.ADMIN", roles=["expert"])
        assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "body.username"

        no_grant = await client.post(TOKEN, data={"username": "city.admin"})
        assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request"
        assert no_grant.json()["errors"][0]["field"] == "body.grant_type"
        no_password = await client.post(TOKEN, data={"grant_type": "password", "username": "city.admin"})
        assert no_password.status_code == 400 and no_password.json()["errors"][0]["field"] == "body.password"
        unsupported = await client.post(TOKEN, data={"grant_type": "authorization_code"})
        assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
        short = await client.post(f"{API}/password-reset/request", json={"login": "x"})
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "body.login"
        bad_client = await client.post(f"{API}/clients", json={"name": "机构", "roles": ["city_officer"]}, headers=city)
        assert bad_client.status_code == 422 and bad_client.json()["errors"][0]["field"] == "body.roles.0"

    assert [r[0] for r in await rows(settings.database_url, select(accounts.c.username))] == ["city.admin"]
    assert await rows(settings.database_url, select(api_clients)) == []
    assert await rows(settings.database_url, select(password_reset_tokens)) == []
    assert await audit_actions(settings) == ["account.create", "account.login"]


async def test_without_a_mail_server_password_reset_answers_that_it_is_unavailable(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = await stack.settings("registry", smtp_host="")
    await officer(settings)
    capsys.readouterr()
    async with service_client(create_app(settings)) as client:
        assert "mail.off" in capsys.readouterr().out  # start-up says mail is off
        asked = await client.post(f"{API}/password-reset/request", json={"login": "city.admin@gz.gov.cn"})
        assert asked.status_code == 503 and asked.json()["code"] == "mail_unavailable", asked.text
        assert "sent" not in asked.text and asked.json()["errors"][0]["message_zh"]
        unknown = await client.post(f"{API}/password-reset/request", json={"login": "nobody@example.cn"})
        assert unknown.status_code == 503 and unknown.json()["code"] == "mail_unavailable"  # the same for everyone
    assert await rows(settings.database_url, select(password_reset_tokens)) == []


# ---- demo accounts -------------------------------------------------------------------------------


async def test_demo_data_creates_accounts_with_generated_passwords_once(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from registry import demo

    settings = await stack.settings("registry")
    monkeypatch.setenv("SIHUA_REGISTRY_DATABASE_URL", settings.database_url)
    assert await demo.load() == 0
    printed = capsys.readouterr().out
    passwords = dict(re.findall(r"\[sihua\]\s+(demo\.\S+)\s+\S+\s+(\S+)", printed))
    assert set(passwords) == {u for u, *_ in demo.DEMO_ACCOUNTS} and len(set(passwords.values())) == len(passwords)

    assert await demo.load() == 0
    assert "demo." not in capsys.readouterr().out  # printed once, on the first load only

    async with service_client(create_app(settings)) as client:
        officer_claims = jwt.decode(
            (await login(client, "demo.huangpu", passwords["demo.huangpu"])).json()["access_token"],
            options={"verify_signature": False},
        )
        assert officer_claims["district"] == "huangpu" and officer_claims["roles"] == ["district_officer"]
        platform = await login(client, "demo.platform", passwords["demo.platform"])
        assert jwt.decode(platform.json()["access_token"], options={"verify_signature": False})["roles"] == ["provider"]
    hashes = await rows(settings.database_url, select(accounts.c.password_hash))
    assert len(hashes) == len(demo.DEMO_ACCOUNTS) and all(h[0].startswith("$argon2id$") for h in hashes)


# ---- the roles the next services need: cluster bodies, the finance bureau, banks as service clients ---------


async def test_cluster_body_and_finance_accounts_sign_in_with_their_roles_and_finance_reads_payees(stack: Stack) -> None:
    settings = await stack.settings("registry")
    _, password = await officer(settings)
    async with service_client(create_app(settings)) as client:
        city = await signed_in(client, "city.admin", password)
        cluster = await register_org(client, city, 71, "huangpu", kind="agency")
        enterprise = await register_org(client, city, 72, "huangpu")
        provider = await register_org(client, city, 73, "tianhe", kind="diagnosis_provider")
        title = await client.post(f"{API}/titles", headers=city,
                                  json={"organisation_id": provider, "kind": "diagnosis_provider", "valid_from": "2025-01-01"})
        assert title.status_code == 201, title.text
        related = await client.post(f"{API}/organisations/{provider}/relationships", headers=city,
                                    json={"related_organisation_id": enterprise, "kind": "shareholding"})
        assert related.status_code == 201, related.text

        district = stack.issuer.headers(["district_officer"], district="huangpu")
        for role in ("finance", "cluster_body"):  # the city grants them; a district officer may not
            refused = await new_account(client, district, username=f"d-{role}", roles=[role], district="huangpu",
                                        organisation_id=cluster if role == "cluster_body" else None)
            assert refused.status_code == 403, refused.text
        made = {}
        for role, org in (("finance", None), ("cluster_body", cluster)):
            created = await new_account(client, city, username=f"{role}.one", roles=[role], organisation_id=org)
            assert created.status_code == 201, created.text
            assert created.json()["roles"] == [role]
            made[role] = await signed_in(client, f"{role}.one", created.json()["initial_password"])
            claims = jwt.decode(made[role]["Authorization"].split()[1], options={"verify_signature": False})
            assert (claims["sub"], claims["roles"], claims.get("org")) == (created.json()["id"], [role], org)
            assert (await client.get(f"{API}/accounts/me", headers=made[role])).json()["roles"] == [role]

        finance = made["finance"]
        listed = await client.get(f"{API}/organisations", headers=finance)
        assert listed.status_code == 200 and listed.json()["total"] == 3
        assert (await client.get(f"{API}/organisations/{provider}", headers=finance)).status_code == 200
        titles = await client.get(f"{API}/titles", headers=finance)
        assert titles.status_code == 200 and [t["organisation_id"] for t in titles.json()] == [provider]
        assert (await client.get(f"{API}/titles/{title.json()['id']}", headers=finance)).status_code == 200
        for method, path in (("GET", f"/organisations/{provider}/relationships"), ("GET", "/pilot-pool"), ("GET", "/accounts"),
                             ("PATCH", f"/organisations/{provider}"), ("POST", "/titles")):
            answer = await client.request(method, f"{API}{path}", headers=finance, json={} if method != "GET" else None)
            assert answer.status_code == 403, (method, path, answer.text)
        body = made["cluster_body"]
        assert (await client.get(f"{API}/organisations", headers=body)).status_code == 403
        assert (await client.get(f"{API}/notifications", headers=body)).status_code == 200

        bank = await client.post(f"{API}/clients", json={"name": "某银行贷款贴息接口", "roles": ["service"]}, headers=city)
        assert bank.status_code == 201, bank.text
        token = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": bank.json()["client_id"],
                                               "client_secret": bank.json()["client_secret"]})
        assert jwt.decode(token.json()["access_token"], options={"verify_signature": False})["roles"] == ["service"]
