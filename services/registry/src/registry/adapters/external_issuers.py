"""The external identity providers the registry trusts for token exchange (RFC 8693), and their signing keys.

Configuration is data, validated when the api starts: ``SIHUA_REGISTRY_EXTERNAL_ISSUERS`` (a JSON list of issuers,
or ``{"issuers": [...]}``) or ``SIHUA_REGISTRY_EXTERNAL_ISSUERS_FILE`` (a path to the same JSON). Each issuer names
its ``iss``, the ``aud`` it puts in tokens meant for the registry, the claim that carries the USCC, the asymmetric
algorithms it signs with and its keys: an inline ``jwks``, a ``jwks_file`` or a ``jwks_uri`` (fetched, cached, and
fetched again when a token names an unknown ``kid``, at most once per ``jwks_refresh_seconds``). Symmetric keys
(``kty: oct``) and HS*/``none`` algorithms are refused at load: a shared secret proves nothing about who signed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sihua_shared.logging import get_logger

log = get_logger("registry.external_issuers")

ENV_JSON = "SIHUA_REGISTRY_EXTERNAL_ISSUERS"
ENV_FILE = "SIHUA_REGISTRY_EXTERNAL_ISSUERS_FILE"

# Only signatures with a public key: the registry never holds a secret an issuer could share with anyone else.
Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}  # the JWK kty of each algorithm family


class ExternalIssuerConfig(BaseModel):
    """One trusted issuer, as configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, max_length=500, description="the exact `iss` of its tokens")
    name: str = Field("", max_length=200, description="for people: 广东省企业身份认证服务, ...")
    audience: str = Field(min_length=1, max_length=500, description="the `aud` its tokens for the registry carry")
    uscc_claim: str = Field("uscc", min_length=1, max_length=200,
                            description="the claim with the USCC; dots reach into objects (`org.uscc`)")
    name_claim: str = Field("name", max_length=200, description="the claim with the person's name, if any")
    email_claim: str = Field("email", max_length=200, description="the claim with the person's e-mail, if any")
    algorithms: tuple[Algorithm, ...] = Field(("RS256", "ES256"), min_length=1)
    organisation_kinds: tuple[Literal["enterprise", "provider", "platform", "traction_unit", "diagnosis_provider"], ...] = Field(
        ("enterprise",), min_length=1, description="the kinds of organisation its tokens may stand for"
    )
    jwks: dict[str, Any] | None = None
    jwks_file: Path | None = None
    jwks_uri: str | None = Field(None, pattern=r"^https?://")
    jwks_refresh_seconds: float = Field(60.0, ge=1.0)
    leeway_seconds: int = Field(60, ge=0, le=300, description="clock skew allowed on exp, nbf and iat")
    max_age_seconds: int = Field(3600, ge=60, description="a token issued longer ago than this is refused")

    @model_validator(mode="after")
    def _one_key_source(self) -> ExternalIssuerConfig:
        given = [s for s in (self.jwks, self.jwks_file, self.jwks_uri) if s is not None]
        if len(given) != 1:
            raise ValueError(f"issuer {self.issuer}: give exactly one of jwks, jwks_file, jwks_uri")
        return self


class ExternalIssuersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuers: tuple[ExternalIssuerConfig, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> ExternalIssuersConfig:
        names = [i.issuer for i in self.issuers]
        if len(names) != len(set(names)):
            raise ValueError("an issuer is configured twice")
        return self


class ExternalIssuerError(ValueError):
    """The configuration of external issuers is not valid (raised at start-up)."""


def _checked_keys(jwks: Mapping[str, Any], issuer: ExternalIssuerConfig) -> dict[str | None, jwt.PyJWK]:
    """The usable keys of a JWKS: public RSA or EC keys for signing, each with an algorithm the issuer may use."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ExternalIssuerError(f"issuer {issuer.issuer}: a JWKS is an object with a list of keys")
    allowed_types = {KEY_TYPES[a[:2]] for a in issuer.algorithms}
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in jwks["keys"]:
        if not isinstance(entry, Mapping):
            raise ExternalIssuerError(f"issuer {issuer.issuer}: a JWK is an object")
        if entry.get("use", "sig") != "sig":
            continue  # an encryption key never verifies a signature
        kty = entry.get("kty")
        if kty not in allowed_types:
            raise ExternalIssuerError(
                f"issuer {issuer.issuer}: key {entry.get('kid')!r} has kty {kty!r}; only {sorted(allowed_types)} "
                "(public keys of its algorithms) are trusted"
            )
        if "d" in entry:
            raise ExternalIssuerError(f"issuer {issuer.issuer}: key {entry.get('kid')!r} is a private key")
        if entry.get("alg") is not None and entry["alg"] not in issuer.algorithms:
            raise ExternalIssuerError(f"issuer {issuer.issuer}: key {entry.get('kid')!r} has alg {entry['alg']!r}")
        try:
            keys[entry.get("kid")] = jwt.PyJWK(dict(entry))
        except jwt.PyJWTError as exc:
            raise ExternalIssuerError(f"issuer {issuer.issuer}: key {entry.get('kid')!r} is not valid: {exc}") from exc
    if not keys and issuer.jwks_uri is None:
        raise ExternalIssuerError(f"issuer {issuer.issuer}: the JWKS has no signing key")
    return keys


class IssuerKeys:
    """The signing keys of one issuer: fixed (inline or file) or fetched from its ``jwks_uri``."""

    def __init__(self, config: ExternalIssuerConfig) -> None:
        self.config = config
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        if config.jwks is not None:
            self._keys = _checked_keys(config.jwks, config)
        elif config.jwks_file is not None:
            try:
                loaded = json.loads(config.jwks_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ExternalIssuerError(f"issuer {config.issuer}: cannot read {config.jwks_file}: {exc}") from exc
            self._keys = _checked_keys(loaded, config)

    async def _fetch(self) -> None:
        assert self.config.jwks_uri is not None
        now = time.monotonic()
        if now - self._fetched_at < self.config.jwks_refresh_seconds:
            return  # an unknown kid does not make the registry hammer the issuer
        self._fetched_at = now
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.config.jwks_uri)
                response.raise_for_status()
            self._keys = _checked_keys(response.json(), self.config)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("external_issuer.jwks_fetch_failed", issuer=self.config.issuer, error=repr(exc))

    async def key_for(self, kid: str | None) -> jwt.PyJWK | None:
        """The key a token names (a JWKS of one key serves tokens without ``kid``)."""
        if self.config.jwks_uri is not None and (kid not in self._keys or not self._keys):
            await self._fetch()
        if kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return None


class ExternalIssuers:
    """Every trusted issuer by its ``iss``."""

    def __init__(self, config: ExternalIssuersConfig) -> None:
        self.by_issuer = {c.issuer: IssuerKeys(c) for c in config.issuers}

    def __bool__(self) -> bool:
        return bool(self.by_issuer)

    def log_state(self) -> None:
        """At start-up: which issuers' tokens the token endpoint exchanges (none: token exchange is off)."""
        if self.by_issuer:
            log.info("token_exchange.on", issuers=sorted(self.by_issuer))
        else:
            log.info("token_exchange.off", reason=f"neither {ENV_JSON} nor {ENV_FILE} names a trusted issuer")

    def get(self, issuer: object) -> IssuerKeys | None:
        return self.by_issuer.get(issuer) if isinstance(issuer, str) else None

    @classmethod
    def none(cls) -> ExternalIssuers:
        return cls(ExternalIssuersConfig())

    @classmethod
    def parse(cls, data: Any) -> ExternalIssuers:
        try:
            config = ExternalIssuersConfig.model_validate({"issuers": data} if isinstance(data, list) else data)
        except ValidationError as exc:
            raise ExternalIssuerError(f"external issuers are not valid: {exc}") from exc
        return cls(config)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ExternalIssuers:
        """From ``SIHUA_REGISTRY_EXTERNAL_ISSUERS`` (JSON) or ``..._FILE`` (a path); none configured: none trusted."""
        env = os.environ if environ is None else environ
        raw, path = env.get(ENV_JSON, "").strip(), env.get(ENV_FILE, "").strip()
        if raw and path:
            raise ExternalIssuerError(f"set {ENV_JSON} or {ENV_FILE}, not both")
        if path:
            try:
                raw = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ExternalIssuerError(f"cannot read {ENV_FILE}={path}: {exc}") from exc
        if not raw:
            return cls.none()
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ExternalIssuerError(f"external issuers are not JSON: {exc}") from exc
        return cls.parse(data)
