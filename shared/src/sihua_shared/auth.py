"""Bearer-token verification (RS256 JWTs against a JWKS) and the role and ownership checks.

Claims (handbook §6): ``iss``, ``aud`` = ``sihua``, ``sub`` (account id), ``org`` (organisation id),
``roles`` (list), ``district`` (when bound to one), ``exp``; ``kid`` in the header.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Coroutine
from typing import Any

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .actor import OFFICIALS, ROLES, Actor, Role
from .logging import get_logger
from .problems import ProblemError, field_error
from .revocation import RevokedBefore

log = get_logger("sihua.auth")
__all__ = ["OFFICIALS", "ROLES", "Actor", "Role", "TokenVerifier", "current_actor", "require_roles"]


class TokenVerifier:
    """Verifies tokens against a key set, refreshing it from the JWKS URL when a ``kid`` is unknown, and refuses the
    tokens of deactivated accounts (``deactivated``: the api's in-memory set, see ``revocation.py``); a token of an
    expert withdrawn from the pool (``withdrawn_experts``, kept the same way) keeps its other roles but not ``expert``;
    a token issued before its account's cutoff (``revoked_before``: a password reset) is refused."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str = "",
        jwks_json: str = "",
        local_keys: list[dict[str, Any]] | None = None,
        deactivated: Container[str] = frozenset(),
    ) -> None:
        self.issuer = issuer
        self.deactivated = deactivated
        self.withdrawn_experts: Container[str] = frozenset()
        self.revoked_before: RevokedBefore = RevokedBefore()
        self.audience = audience
        self._url = jwks_url
        self._keys: dict[str, Any] = {}
        self._local = list(local_keys or [])
        if jwks_json:
            self._local.extend(json.loads(jwks_json)["keys"])
        for jwk in self._local:
            self._add(jwk)

    def _add(self, jwk: dict[str, Any]) -> None:
        self._keys[jwk["kid"]] = jwt.PyJWK(jwk).key

    async def refresh(self) -> None:
        if not self._url:
            return
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self._url)
                response.raise_for_status()
            for jwk in response.json().get("keys", []):
                self._add(jwk)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("auth.jwks_refresh_failed", url=self._url, error=repr(exc))

    async def verify(self, token: str) -> Actor:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _unauthorized("malformed token") from exc
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not kid:
            raise _unauthorized("token must be RS256 with a kid")
        if kid not in self._keys:
            await self.refresh()
        key = self._keys.get(kid)
        if key is None:
            raise _unauthorized("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid token: {exc}") from exc
        if claims.get("typ", "access") != "access":
            raise _unauthorized("not an access token")
        if str(claims["sub"]) in self.deactivated:
            raise _unauthorized("the account is deactivated", "账号已停用")
        if self.revoked_before.refuses(str(claims["sub"]), claims.get("iat")):
            raise _unauthorized("the token was revoked (the password was reset)", "密码已重置，请重新登录")
        roles = frozenset(r for r in claims.get("roles", []) if r in ROLES)
        if "expert" in roles and str(claims["sub"]) in self.withdrawn_experts:
            roles = roles - {"expert"}  # withdrawn from the pool since the token was issued
        return Actor(
            id=str(claims["sub"]),
            org=claims.get("org"),
            roles=roles,
            district=claims.get("district"),
            claims=claims,
        )


def _unauthorized(reason: str, zh: str = "未登录或凭证无效") -> ProblemError:
    return ProblemError(
        401,
        "unauthorized",
        reason,
        errors=[field_error("authorization", zh, reason)],
        headers={"WWW-Authenticate": 'Bearer realm="sihua"'},
    )


_bearer = HTTPBearer(auto_error=False, description="RS256 access token from the registry's token endpoint")


async def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.verifier
    actor = await verifier.verify(credentials.credentials)
    request.state.actor = actor
    return actor


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """A dependency admitting only actors that hold one of ``roles``."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    async def dependency(actor: Actor = Depends(current_actor)) -> Actor:
        if not actor.has(*roles):
            raise ProblemError(
                403,
                "role_required",
                f"one of the roles {sorted(roles)} is required",
                errors=[
                    field_error(
                        "authorization",
                        f"需要以下角色之一：{'、'.join(sorted(roles))}",
                        f"one of the roles {', '.join(sorted(roles))} is required",
                    )
                ],
            )
        return actor

    # Read by the OpenAPI document (the roles an operation admits) and the schemathesis run (whom to call it as).
    dependency.admitted_roles = roles  # type: ignore[attr-defined]
    return dependency

