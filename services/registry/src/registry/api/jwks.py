"""The registry's public signing keys (JWKS), for the other services to verify tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sihua_shared.keys import SigningKey

router = APIRouter(tags=["auth 认证"])


def signing_key(request: Request) -> SigningKey:
    key: SigningKey = request.app.state.signing_key
    return key


@router.get(
    "/.well-known/jwks.json",
    summary="JWKS",
    description="公开的令牌验签公钥 / the public keys that verify the registry's access tokens.",
)
async def jwks(request: Request) -> dict[str, Any]:
    return {"keys": [signing_key(request).public_jwk()]}
