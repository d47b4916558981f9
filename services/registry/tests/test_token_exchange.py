"""Token exchange (RFC 8693) over HTTP against a real database: a second, locally generated issuer stands in for the
province's enterprise identity service. Its ID token with a USCC is exchanged for a registry token that the registry
(and every service trusting the registry's JWKS) accepts; the organisation is verified automatically; every way a
subject token can be wrong is refused with the OAuth error RFC 8693 names."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy import select

from registry.adapters.account_tables import accounts
from registry.adapters.external_identity_tables import external_identities
from registry.adapters.external_issuers import ExternalIssuers
from registry.application.token_exchange import NO_PASSWORD
from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.auth import TokenVerifier
from sihua_shared.keys import SigningKey
from sihua_shared.settings import Settings
from sihua_shared.tables import audit_log
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, served_app, service_client
from sihua_shared.testing.smtp import smtp_server
from tests.pipeline.helpers import facts_on_nats, rows

API = "/api/registry/v1"
TOKEN = f"{API}/oauth/token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
PROVINCE = "https://id.gd.example.gov.cn/enterprise"
AUDIENCE = "sihua-registry-guangzhou"


class ProvinceIssuer:
    """A second issuer, generated in the test: its RSA key, its JWKS, its ID tokens."""

    def __init__(self, issuer: str = PROVINCE) -> None:
        self.issuer = issuer
        self.key = SigningKey.generate()

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk()]}

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"issuer": self.issuer, "name": "广东省企业身份认证服务（测试）", "audience": AUDIENCE,
                "uscc_claim": "uscc", "jwks": self.jwks, **overrides}

    def claims(self, uscc: Any, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": "legal-person-0001", "iat": now, "exp": now + 300,
                  "uscc": uscc, "name": "张三", "email": "zhangsan@example.com", **overrides}
        return {name: value for name, value in claims.items() if value is not None}  # None: the claim is absent

    def id_token(self, uscc: Any, *, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(self.claims(uscc, **overrides), self.key.private_pem, algorithm="RS256",
                          headers={"kid": self.key.kid, **(headers or {})})


def exchange_form(token: str, **overrides: str) -> dict[str, str]:
    return {"grant_type": EXCHANGE, "subject_token": token, "subject_token_type": ID_TOKEN, **overrides}


async def register(client: httpx.AsyncClient, stack: Stack, n: int, kind: str = "enterprise") -> dict[str, Any]:
    body = {"uscc": make_uscc(n), "name": f"外部身份测试企业{n}", "kind": kind, "district": "huangpu"}
    response = await client.post(f"{API}/organisations", json=body, headers=stack.issuer.headers(["city_officer"]))
    assert response.status_code == 201, response.text
    return dict(response.json())


@asynccontextmanager
async def registry(
    stack: Stack, *configs: dict[str, Any], **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = await stack.settings("registry", **overrides)
    app = create_app(settings, external_issuers=ExternalIssuers.parse(list(configs)))
    async with service_client(app) as client:
        yield client, settings


async def registry_verifier(client: httpx.AsyncClient, settings: Settings) -> TokenVerifier:
    """What another service does: trust the registry's JWKS, and only the registry as issuer."""
    keys = (await client.get("/.well-known/jwks.json")).json()
    import json

    return TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience, jwks_json=json.dumps(keys))


async def audit_of(settings: Settings, action: str) -> list[Any]:
    return list(await rows(settings.database_url, select(audit_log).where(audit_log.c.action == action)))


async def test_a_second_issuers_token_is_exchanged_for_a_registry_token_of_its_enterprise(stack: Stack) -> None:
    province = ProvinceIssuer()
    async with registry(stack, province.config()) as (client, settings):
        org = await register(client, stack, 1)
        answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(1)), audience="sihua",
                                                             requested_token_type=ACCESS_TOKEN))
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert set(body) == {"access_token", "issued_token_type", "token_type", "expires_in"}  # no refresh token
        assert (body["issued_token_type"], body["token_type"], body["expires_in"]) == (
            ACCESS_TOKEN, "Bearer", settings.access_token_minutes * 60)

        # a normal registry token: the registry's issuer, key and claims, verified as every other service does
        actor = await (await registry_verifier(client, settings)).verify(body["access_token"])
        assert (actor.org, sorted(actor.roles)) == (org["id"], ["enterprise"])
        claims = jwt.decode(body["access_token"], options={"verify_signature": False})
        assert (claims["iss"], claims["aud"], claims["typ"], claims["sub"]) == ("sihua-registry", "sihua", "access", actor.id)
        assert jwt.get_unverified_header(body["access_token"])["kid"] != province.key.kid

        # and it opens the registry's authenticated endpoints as the enterprise's account
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        me = await client.get(f"{API}/accounts/me", headers=bearer)
        assert me.status_code == 200, me.text
        assert (me.json()["organisation_id"], me.json()["roles"], me.json()["display_name"]) == (org["id"], ["enterprise"], "张三")
        own = await client.get(f"{API}/organisations/{org['id']}", headers=bearer)
        assert own.status_code == 200, own.text

        # exchanging again (a later sign-in at the province) reaches the same account; claims the registry cannot
        # store are left out
        again = await client.post(TOKEN, data=exchange_form(province.id_token(f" {make_uscc(1).lower()} ",
                                                                              email="bad\x00@example.com")))
        assert again.status_code == 200, again.text
        assert (await (await registry_verifier(client, settings)).verify(again.json()["access_token"])).id == actor.id

    bound = await rows(settings.database_url, select(external_identities))
    assert [(b.issuer, b.subject, b.organisation_id, b.account_id, b.uscc, b.claimed_email) for b in bound] == [
        (PROVINCE, "legal-person-0001", org["id"], actor.id, make_uscc(1), None)]
    account = (await rows(settings.database_url, select(accounts).where(accounts.c.id == actor.id)))[0]
    assert (account.password_hash, account.email, account.roles) == (NO_PASSWORD, "", ["enterprise"])
    created = await audit_of(settings, "account.create_external")
    assert [(a.entity_id, a.actor_id, a.after["issuer"]) for a in created] == [(actor.id, f"external:{PROVINCE}", PROVINCE)]
    exchanged = await audit_of(settings, "account.token_exchange")
    assert [(a.actor_id, a.after["uscc"], a.after["account_created"]) for a in exchanged] == [
        (actor.id, make_uscc(1), True), (actor.id, make_uscc(1), False)]


async def test_the_bound_account_has_no_password(stack: Stack) -> None:
    province = ProvinceIssuer()
    async with registry(stack, province.config()) as (client, settings):
        await register(client, stack, 2)
        answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(2))))
        assert answer.status_code == 200, answer.text
        account = (await rows(settings.database_url, select(accounts)))[0]
        for guess in (NO_PASSWORD, "", "!external-identity"):
            login = await client.post(TOKEN, data={"grant_type": "password", "username": account.username,
                                                  "password": guess or "x"})
            assert login.status_code == 400 and login.json()["error"] == "invalid_grant"


async def test_two_subjects_of_one_enterprise_get_two_accounts_and_one_subject_one_per_enterprise(stack: Stack) -> None:
    province = ProvinceIssuer()
    async with registry(stack, province.config()) as (client, settings):
        await register(client, stack, 3)
        await register(client, stack, 4)
        verifier = await registry_verifier(client, settings)
        seen = []
        for sub, n in (("person-a", 3), ("person-b", 3), ("person-a", 4), ("person-a", 3)):
            answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(n), sub=sub)))
            assert answer.status_code == 200, answer.text
            actor = await verifier.verify(answer.json()["access_token"])
            seen.append((actor.id, actor.org))
        assert seen[0] == seen[3] and len({s[0] for s in seen}) == 3 and seen[0][1] != seen[2][1]


async def test_an_ec_issuer_with_a_jwks_url_and_a_nested_claim(stack: Stack) -> None:
    """ES256, the keys fetched from the issuer's JWKS URL, the USCC inside an object claim."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwks = {"keys": [{**public, "kid": "ec-1", "use": "sig", "alg": "ES256"}]}
    served = FastAPI()

    @served.get("/jwks")
    async def _jwks() -> dict[str, Any]:
        return jwks

    async with served_app(served) as base:
        config = {"issuer": "https://ec.example.org", "audience": AUDIENCE, "uscc_claim": "enterprise.uscc",
                  "algorithms": ["ES256"], "jwks_uri": f"{base}/jwks"}
        async with registry(stack, config) as (client, settings):
            org = await register(client, stack, 5)
            now = int(time.time())
            claims = {"iss": "https://ec.example.org", "aud": [AUDIENCE, "other"], "sub": "ec-person", "iat": now,
                      "exp": now + 120, "enterprise": {"uscc": make_uscc(5)}}
            token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": "ec-1"})
            answer = await client.post(TOKEN, data=exchange_form(token, subject_token_type="urn:ietf:params:oauth:token-type:jwt"))
            assert answer.status_code == 200, answer.text
            assert (await (await registry_verifier(client, settings)).verify(answer.json()["access_token"])).org == org["id"]


async def sign_up(client: httpx.AsyncClient, n: int) -> None:
    """The enterprise signs itself up (public): it starts unverified."""
    body = {"uscc": make_uscc(n), "name": f"自主注册企业{n}", "kind": "enterprise", "district": "huangpu",
            "industry_code": "C2110", "sector": "custom_furniture", "employees": 80, "revenue_wan": "3000",
            "contact_name": "张联系", "contact_email": f"contact{n}@example.cn"}
    answer = await client.post(f"{API}/sign-up", json=body)
    assert answer.status_code == 202, answer.text


async def test_the_exchange_verifies_a_signed_up_enterprise_and_the_fact_reaches_nats(stack: Stack) -> None:
    """Done means (issue 10): a second issuer's token is exchanged and verifies its enterprise."""
    province = ProvinceIssuer()
    city = stack.issuer.headers(["city_officer"])
    with smtp_server() as (_, port):
        async with registry(stack, province.config(), smtp_host="127.0.0.1", smtp_port=port) as (client, settings):
            async with running_worker(SPEC, settings):
                await sign_up(client, 21)
                listed = (await client.get(f"{API}/organisations", params={"verification": "unverified"}, headers=city)).json()
                (org,) = listed["items"]
                assert (org["uscc"], org["verification"], org["version"]) == (make_uscc(21), "unverified", 1)

                answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(21))))
                assert answer.status_code == 200, answer.text
                bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
                own = await client.get(f"{API}/organisations/{org['id']}", headers=bearer)
                assert own.status_code == 200, own.text
                assert (own.json()["verification"], own.json()["verified_by"], own.json()["version"]) == (
                    "verified", "external_identity", 2)

                # the next exchange finds it verified: nothing is verified twice
                again = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(21))))
                assert again.status_code == 200, again.text

                async def verified_on_nats() -> list[dict[str, Any]]:
                    facts = await facts_on_nats(stack, "registry")
                    return [f for f in facts if f["type"].endswith(".organisation.verified.v1")]

                (fact,) = await eventually(verified_on_nats)
                assert (fact["data"]["organisation_id"], fact["data"]["uscc"], fact["data"]["verified_by"], fact["data"]["version"]) == (
                    org["id"], make_uscc(21), "external_identity", 2)
    verifications = await audit_of(settings, "organisation.verify")
    assert [(a.entity_id, a.actor_id, a.after["verified_by"]) for a in verifications] == [
        (org["id"], f"external:{PROVINCE}", "external_identity")]
    exchanged = await audit_of(settings, "account.token_exchange")
    assert [a.after["organisation_verified"] for a in exchanged] == [True, False]


async def test_a_rejected_organisation_stays_rejected(stack: Stack) -> None:
    province = ProvinceIssuer()
    city = stack.issuer.headers(["city_officer"])
    with smtp_server() as (_, port):
        async with registry(stack, province.config(), smtp_host="127.0.0.1", smtp_port=port) as (client, settings):
            await sign_up(client, 22)
            (org,) = (await client.get(f"{API}/organisations", params={"verification": "unverified"}, headers=city)).json()["items"]
            rejected = await client.post(f"{API}/organisations/{org['id']}/reject", json={"reason": "营业执照信息与统一社会信用代码不符"},
                                         headers={**city, "If-Match": f'"{org["version"]}"'})
            assert rejected.status_code == 200, rejected.text
            answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(22))))
            assert (answer.status_code, answer.json()["error"], answer.json()["code"]) == (
                400, "invalid_grant", "organisation_rejected")
            after = await client.get(f"{API}/organisations/{org['id']}", headers=city)
            assert after.json()["verification"] == "rejected"
    assert await rows(settings.database_url, select(external_identities)) == []


# ---- refusals ------------------------------------------------------------------------------------------


def _hs256(province: ProvinceIssuer, uscc: str) -> str:
    # signed with the issuer's public key as an HMAC secret: the classic algorithm confusion (PyJWT refuses to do
    # it with a PEM key, so sign by hand)
    import base64
    import hashlib
    import hmac
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": province.key.kid}).encode())
    body = b64(json.dumps(province.claims(uscc)).encode())
    secret = json.dumps(province.jwks["keys"][0]).encode()
    signature = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{signature}"


def _unsigned(province: ProvinceIssuer, uscc: str) -> str:
    return jwt.encode(province.claims(uscc), key=None, algorithm="none")  # type: ignore[arg-type]


REFUSALS: list[tuple[str, Any, str, str]] = [
    # (case, how to make the token from (province, stranger, uscc), error, code)
    ("wrong issuer", lambda p, s, u: s.id_token(u), "invalid_request", "subject_token_issuer_untrusted"),
    ("issuer claimed, other key", lambda p, s, u: jwt.encode(p.claims(u), s.key.private_pem, algorithm="RS256",
                                                             headers={"kid": p.key.kid}),
     "invalid_request", "subject_token_signature"),
    ("unknown kid", lambda p, s, u: jwt.encode(p.claims(u), s.key.private_pem, algorithm="RS256",
                                               headers={"kid": s.key.kid}),
     "invalid_request", "subject_token_key_unknown"),
    ("tampered payload", lambda p, s, u: _tamper(p.id_token(u)), "invalid_request", "subject_token_signature"),
    ("wrong audience", lambda p, s, u: p.id_token(u, aud="another-relying-party"), "invalid_request", "subject_token_audience"),
    ("the registry's own audience", lambda p, s, u: p.id_token(u, aud="sihua"), "invalid_request", "subject_token_audience"),
    ("expired", lambda p, s, u: p.id_token(u, exp=int(time.time()) - 3600), "invalid_request", "subject_token_expired"),
    ("not yet valid", lambda p, s, u: p.id_token(u, nbf=int(time.time()) + 3600), "invalid_request", "subject_token_not_yet_valid"),
    ("issued too long ago", lambda p, s, u: p.id_token(u, iat=int(time.time()) - 86_400, exp=int(time.time()) + 60),
     "invalid_request", "subject_token_too_old"),
    ("no exp", lambda p, s, u: p.id_token(u, exp=None), "invalid_request", "subject_token_claim_missing"),
    ("no sub", lambda p, s, u: p.id_token(u, sub=None), "invalid_request", "subject_token_claim_missing"),
    ("sub PostgreSQL cannot store", lambda p, s, u: p.id_token(u, sub="a\x00b"), "invalid_request",
     "subject_token_claim_missing"),
    ("sub too long", lambda p, s, u: p.id_token(u, sub="x" * 256), "invalid_request", "subject_token_claim_missing"),
    ("iss a lone surrogate", lambda p, s, u: p.id_token(u, iss="\ud800"), "invalid_request", "subject_token_issuer_untrusted"),
    ("alg none", lambda p, s, u: _unsigned(p, u), "invalid_request", "subject_token_algorithm"),
    ("HS256 with the public key", lambda p, s, u: _hs256(p, u), "invalid_request", "subject_token_algorithm"),
    ("not a JWT", lambda p, s, u: "not.a.jwt", "invalid_request", "subject_token_malformed"),
    ("no USCC claim", lambda p, s, u: p.id_token(None), "invalid_request", "subject_token_uscc_missing"),
    ("malformed USCC", lambda p, s, u: p.id_token(u[:17] + ("0" if u[17] != "0" else "1")),
     "invalid_request", "subject_token_uscc_invalid"),
    ("short USCC", lambda p, s, u: p.id_token("91440101"), "invalid_request", "subject_token_uscc_invalid"),
    ("USCC not a string", lambda p, s, u: p.id_token(12345), "invalid_request", "subject_token_uscc_missing"),
    ("unknown USCC", lambda p, s, u: p.id_token(make_uscc(99)), "invalid_grant", "organisation_not_registered"),
    ("a registry token", lambda p, s, u: "REGISTRY", "invalid_request", "subject_token_issuer_untrusted"),
]


def _tamper(token: str) -> str:
    import base64
    import json

    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


async def test_every_wrong_subject_token_is_refused_and_nothing_is_bound(stack: Stack) -> None:
    province, stranger = ProvinceIssuer(), ProvinceIssuer("https://impostor.example.com")
    async with registry(stack, province.config()) as (client, settings):
        await register(client, stack, 6)
        registry_token = stack.issuer.mint(["enterprise"])
        problems = []
        for case, make, error, code in REFUSALS:
            token = make(province, stranger, make_uscc(6))
            token = registry_token if token == "REGISTRY" else token
            answer = await client.post(TOKEN, data=exchange_form(token))
            got = (answer.status_code, answer.json().get("error"), answer.json().get("code"))
            if got != (400, error, code):
                problems.append((case, got, answer.text))
            assert answer.headers["cache-control"] == "no-store"
            assert answer.headers["content-type"] == "application/problem+json"
        assert problems == []
        unknown = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(99))))
        assert "signs up first" in unknown.json()["error_description"]
        assert unknown.json()["errors"][0]["message_zh"].startswith("统一社会信用代码")
    assert await rows(settings.database_url, select(external_identities)) == []
    assert await rows(settings.database_url, select(accounts)) == []
    assert await audit_of(settings, "account.token_exchange") == []


async def test_the_request_itself_is_checked(stack: Stack) -> None:
    province = ProvinceIssuer()
    async with registry(stack, province.config()) as (client, _):
        await register(client, stack, 7)
        token = province.id_token(make_uscc(7))
        cases = [
            ({"subject_token": None}, "invalid_request", "invalid_request", "body.subject_token"),
            ({"subject_token_type": None}, "invalid_request", "invalid_request", "body.subject_token_type"),
            ({"subject_token_type": ACCESS_TOKEN}, "invalid_request", "unsupported_token_type", "body.subject_token_type"),
            ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "invalid_request", "unsupported_token_type",
             "body.subject_token_type"),
            ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, "invalid_request",
             "unsupported_token_type", "body.requested_token_type"),
            ({"audience": "catalog-elsewhere"}, "invalid_target", "invalid_target", "body.audience"),
            ({"actor_token": token, "actor_token_type": ID_TOKEN}, "invalid_request", "delegation_unsupported", "body.actor_token"),
        ]
        for change, error, code, field in cases:
            form = {k: v for k, v in {**exchange_form(token), **change}.items() if v is not None}
            answer = await client.post(TOKEN, data=form)
            assert answer.status_code == 400, (change, answer.text)
            assert (answer.json()["error"], answer.json()["code"], answer.json()["errors"][0]["field"]) == (error, code, field), change


async def test_with_no_issuer_configured_every_exchange_is_refused(stack: Stack) -> None:
    province = ProvinceIssuer()
    async with registry(stack) as (client, _):
        await register(client, stack, 8)
        answer = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(8))))
        assert (answer.status_code, answer.json()["error"], answer.json()["code"]) == (
            400, "invalid_request", "subject_token_issuer_untrusted")


async def test_an_issuer_only_stands_for_the_kinds_it_is_configured_for_and_a_deactivated_account_is_refused(
    stack: Stack,
) -> None:
    province = ProvinceIssuer()
    async with registry(stack, province.config()) as (client, settings):
        await register(client, stack, 9, kind="platform")
        provider = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(9))))
        assert (provider.status_code, provider.json()["error"], provider.json()["code"]) == (
            400, "invalid_grant", "organisation_kind_not_eligible")

        await register(client, stack, 10)
        first = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(10))))
        assert first.status_code == 200, first.text
        account_id = (await registry_verifier(client, settings)).verify
        actor = await account_id(first.json()["access_token"])
        me = await client.get(f"{API}/accounts/{actor.id}", headers=stack.issuer.headers(["city_officer"]))
        deactivated = await client.post(f"{API}/accounts/{actor.id}/deactivate",
                                        headers={**stack.issuer.headers(["city_officer"]), "If-Match": me.headers["etag"]})
        assert deactivated.status_code == 200, deactivated.text
        refused = await client.post(TOKEN, data=exchange_form(province.id_token(make_uscc(10))))
        assert (refused.status_code, refused.json()["error"], refused.json()["code"]) == (400, "invalid_grant", "account_inactive")


@pytest.mark.parametrize("uscc_claim", ["uscc", "ext.credit_code"])
def test_claim_paths(uscc_claim: str) -> None:
    from registry.application.token_exchange import _claim

    claims = {"uscc": "A", "ext": {"credit_code": "B"}}
    assert _claim(claims, uscc_claim) == ("A" if uscc_claim == "uscc" else "B")
    assert _claim(claims, "ext.missing.deeper") is None
