"""Token verification against a JWKS, and the role and ownership checks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import jwt
import pytest
from fastapi import FastAPI

from sihua_shared.auth import Actor, TokenVerifier
from sihua_shared.keys import SigningKey, jwks
from sihua_shared.problems import ProblemError
from sihua_shared.testing.harness import served_app
from sihua_shared.testing.tokens import TestIssuer


@pytest.fixture
async def jwks_server() -> AsyncIterator[tuple[str, SigningKey]]:
    """A real HTTP server publishing a JWKS, as the registry does."""
    key = SigningKey.generate()
    app = FastAPI()

    @app.get("/.well-known/jwks.json")
    async def keys() -> dict[str, object]:
        return jwks(key)

    async with served_app(app) as base:
        yield f"{base}/.well-known/jwks.json", key


async def test_unknown_kid_is_fetched_from_the_jwks_url(jwks_server: tuple[str, SigningKey]) -> None:
    url, key = jwks_server
    issuer = TestIssuer(key=key)
    verifier = TokenVerifier(issuer="sihua-registry", audience="sihua", jwks_url=url)
    actor = await verifier.verify(issuer.mint(["district_officer", "made_up_role"], org="o1", district="huangpu", sub="a1"))
    assert actor == Actor(id="a1", org="o1", roles=frozenset({"district_officer"}), district="huangpu")


@pytest.mark.parametrize(
    "mutation",
    ["wrong_audience", "wrong_issuer", "expired", "other_key", "hs256", "refresh_type", "no_kid"],
)
async def test_bad_tokens_are_refused(mutation: str) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(issuer="sihua-registry", audience="sihua", jwks_json=issuer.jwks_json)
    now = int(time.time())
    claims = {"iss": "sihua-registry", "aud": "sihua", "sub": "a1", "roles": ["city_officer"], "exp": now + 60}
    headers = {"kid": issuer.key.kid}
    key: object = issuer.key.private_pem
    algorithm = "RS256"
    if mutation == "wrong_audience":
        claims["aud"] = "other"
    elif mutation == "wrong_issuer":
        claims["iss"] = "someone-else"
    elif mutation == "expired":
        claims["exp"] = now - 120
    elif mutation == "other_key":
        key = SigningKey.generate().private_pem
    elif mutation == "hs256":
        key, algorithm = "a-shared-secret-of-sufficient-length-000", "HS256"
    elif mutation == "refresh_type":
        claims["typ"] = "refresh"
    elif mutation == "no_kid":
        headers = {}
    token = jwt.encode(claims, key, algorithm=algorithm, headers=headers)  # type: ignore[arg-type]
    with pytest.raises(ProblemError) as caught:
        await verifier.verify(token)
    assert caught.value.status == 401
    assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_deactivated_account_is_refused_while_its_token_is_still_valid() -> None:
    """The verifier asks the api's in-memory set of deactivated accounts (revocation.py): no database per request."""
    issuer = TestIssuer()
    refused = {"gone"}
    verifier = TokenVerifier(issuer="sihua-registry", audience="sihua", jwks_json=issuer.jwks_json, deactivated=refused)
    assert (await verifier.verify(issuer.mint(["enterprise"], sub="kept"))).id == "kept"
    with pytest.raises(ProblemError) as caught:
        await verifier.verify(issuer.mint(["enterprise"], sub="gone"))
    assert (caught.value.status, caught.value.detail) == (401, "the account is deactivated")
    assert caught.value.errors is not None and caught.value.errors[0].message_zh == "账号已停用"
    refused.clear()  # reactivated
    assert (await verifier.verify(issuer.mint(["enterprise"], sub="gone"))).id == "gone"

