"""Mint access tokens with a test signing key, exactly as the registry's token endpoint shapes them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import jwt

from ..keys import SigningKey, jwks_json


@dataclass
class TestIssuer:
    __test__ = False  # not a pytest test class

    issuer: str = "sihua-registry"
    audience: str = "sihua"
    key: SigningKey = field(default_factory=SigningKey.generate)

    @property
    def jwks_json(self) -> str:
        return jwks_json(self.key)

    def mint(
        self,
        roles: Iterable[str],
        *,
        org: str | None = None,
        district: str | None = None,
        sub: str | None = None,
        expires_in: int = 900,
        **extra: object,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub or str(uuid.uuid4()),
            "roles": list(roles),
            "iat": now,
            "exp": now + expires_in,
            "typ": "access",
            **extra,
        }
        if org is not None:
            claims["org"] = org
        if district is not None:
            claims["district"] = district
        return jwt.encode(claims, self.key.private_pem, algorithm="RS256", headers={"kid": self.key.kid})

    def headers(self, roles: Iterable[str], **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(roles, **kwargs)}"}  # type: ignore[arg-type]
