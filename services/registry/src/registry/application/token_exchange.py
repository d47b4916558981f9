"""OAuth 2.0 token exchange (RFC 8693): an external identity provider's token for a registry access token.

The province's enterprise identity service (OIDC) vouches that the person acts for the enterprise with a USCC. The
registry verifies that token against the issuer's configuration (``adapters.external_issuers``: its keys, audience,
algorithms, the claim with the USCC), maps the USCC to the registered organisation, verifies an unverified
organisation automatically (``verified_by = external_identity``), binds the external subject to an account of that
organisation (created on the first exchange, without a password) and answers a normal registry access token: the same
issuer, key and claims as a password login, so the other services keep trusting one issuer.

Refusals (README, "External identity"): a subject token that is malformed, untrusted, unsigned or signed with a shared
secret, for another audience, expired, too old or without a valid USCC is ``invalid_request`` (RFC 8693 §2.2.2); an
audience other than the registry's is ``invalid_target``; a valid token for which the registry has nothing to grant
(no organisation with that USCC, a rejected organisation, a deactivated account) is ``invalid_grant``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.errors import DomainError, Kind
from sihua_shared.inputs import text_problem
from sihua_shared.keys import SigningKey
from sihua_shared.logging import get_logger
from sihua_shared.settings import Settings

from ..adapters.account_tables import accounts
from ..adapters.external_identity_tables import external_identities
from ..adapters.external_issuers import KEY_TYPES, ExternalIssuerConfig, ExternalIssuers
from ..adapters.tables import organisations
from ..domain.uscc import normalise_uscc, validate_uscc
from .account_rules import ORGANISATION_KINDS
from .accounts import account_actor, account_view, find_account
from .external_verification import verify_by_external_identity
from .oauth_errors import invalid_grant, oauth_error
from .tokens import TokenResponse, issue_access_token

log = get_logger("registry.token_exchange")

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT_TOKEN = "urn:ietf:params:oauth:token-type:jwt"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = (ID_TOKEN, JWT_TOKEN)
REQUESTED_TOKEN_TYPES = (ACCESS_TOKEN, JWT_TOKEN)
# An account bound to an external subject has no password: this is no argon2 hash, so no password ever matches it.
NO_PASSWORD = "!external-identity"


@dataclass(frozen=True)
class ExchangeResponse(TokenResponse):
    issued_token_type: str = ACCESS_TOKEN

    def body(self) -> dict[str, Any]:
        return {**super().body(), "issued_token_type": self.issued_token_type}


@dataclass(frozen=True)
class ExternalIdentity:
    """What a verified subject token says: who (``issuer``, ``subject``) acts for which USCC."""

    config: ExternalIssuerConfig
    subject: str
    uscc: str
    name: str | None
    email: str | None

    @property
    def issuer(self) -> str:
        return self.config.issuer


def _refused(code: str, description: str, zh: str, *, field: str = "body.subject_token", **details: object) -> DomainError:
    return oauth_error(Kind.BAD_REQUEST, "invalid_request", description, field=field, zh=zh, code=code, **details)


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _storable(value: object, limit: int) -> str | None:
    """``value`` when it is text PostgreSQL (and a JSON answer) can hold within ``limit``; claims are untrusted input."""
    if not isinstance(value, str) or len(value) > limit or text_problem(value) is not None:
        return None
    return value


def _text_claim(claims: dict[str, Any], path: str, limit: int) -> str | None:
    value = _storable(_claim(claims, path), 10_000) if path else None
    return (value.strip()[:limit] or None) if value is not None else None


_DECODE_REFUSALS: tuple[tuple[type[Exception], str, str, str], ...] = (
    (jwt.ExpiredSignatureError, "subject_token_expired", "the subject token has expired", "外部身份令牌已过期"),
    (jwt.ImmatureSignatureError, "subject_token_not_yet_valid", "the subject token is not valid yet (nbf or iat)",
     "外部身份令牌尚未生效"),
    (jwt.InvalidAudienceError, "subject_token_audience", "the subject token is meant for another audience",
     "外部身份令牌的受众（aud）不是本平台"),
    (jwt.InvalidSignatureError, "subject_token_signature", "the subject token's signature does not verify",
     "外部身份令牌签名无效"),
    (jwt.MissingRequiredClaimError, "subject_token_claim_missing", "the subject token lacks a required claim",
     "外部身份令牌缺少必需的声明"),
)


async def verify_subject_token(
    issuers: ExternalIssuers, settings: Settings, token: str
) -> ExternalIdentity | DomainError:
    """Check the subject token against its issuer's configuration; answer who it names or why it is refused."""
    found = await _verify(issuers, settings, token, now_utc().timestamp())
    if isinstance(found, DomainError):
        log.info("token_exchange.refused", code=found.code)
    return found


async def _verify(issuers: ExternalIssuers, settings: Settings, token: str, now: float) -> ExternalIdentity | DomainError:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _refused("subject_token_malformed", "the subject token is not a JWT", "外部身份令牌格式无效")
    iss = unverified.get("iss")
    issuer = issuers.get(iss) if iss != settings.jwt_issuer else None
    if issuer is None:
        return _refused("subject_token_issuer_untrusted", "the subject token's issuer is not trusted",
                        "外部身份令牌的签发方不受信任", issuer=_storable(iss, 500))
    config = issuer.config
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in config.algorithms:
        return _refused("subject_token_algorithm", f"the subject token must be signed with {', '.join(config.algorithms)}",
                        "外部身份令牌的签名算法不被接受", algorithm=_storable(alg, 50))
    kid = header.get("kid")
    key = await issuer.key_for(kid if isinstance(kid, str) else None)
    if key is None or key.key_type != KEY_TYPES[alg[:2]]:
        return _refused("subject_token_key_unknown", "no key of the issuer verifies the subject token",
                        "找不到验证外部身份令牌的公钥")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[alg], audience=config.audience, issuer=config.issuer,
            leeway=config.leeway_seconds, options={"require": ["iss", "aud", "sub", "exp", "iat"]},
        )
    except jwt.PyJWTError as exc:
        for kind, code, description, zh in _DECODE_REFUSALS:
            if isinstance(exc, kind):
                return _refused(code, description, zh)
        return _refused("subject_token_invalid", "the subject token is not valid", "外部身份令牌无效")
    iat = claims["iat"]
    if not isinstance(iat, int | float) or now - iat > config.max_age_seconds + config.leeway_seconds:
        return _refused("subject_token_too_old", f"the subject token was issued more than {config.max_age_seconds} s ago",
                        "外部身份令牌签发时间过早，请重新登录")
    subject = _storable(claims["sub"], 255)
    if subject is None or not subject.strip():
        return _refused("subject_token_claim_missing", "the subject token's sub is not a usable identifier",
                        "外部身份令牌的 sub 无效")
    raw = _claim(claims, config.uscc_claim)
    if not isinstance(raw, str):
        return _refused("subject_token_uscc_missing", f"the subject token has no USCC in claim {config.uscc_claim}",
                        f"外部身份令牌缺少统一社会信用代码（{config.uscc_claim}）", claim=config.uscc_claim)
    uscc = normalise_uscc(raw)
    try:
        validate_uscc(uscc, field="body.subject_token")
    except DomainError as bad:
        return _refused("subject_token_uscc_invalid", f"the USCC the subject token carries is not valid: {bad.message_en}",
                        f"外部身份令牌中的统一社会信用代码无效：{bad.message_zh}", claim=config.uscc_claim, reason=bad.code)
    return ExternalIdentity(
        config=config, subject=subject, uscc=uscc,
        name=_text_claim(claims, config.name_claim, 200), email=_text_claim(claims, config.email_claim, 320),
    )


def check_exchange_request(
    settings: Settings,
    *,
    subject_token_type: str,
    requested_token_type: str | None,
    audience: str | None,
    actor_token: str | None,
) -> DomainError | None:
    """What RFC 8693 §2.1 lets a client ask for, and what the registry answers."""
    if subject_token_type not in SUBJECT_TOKEN_TYPES:
        return _refused("unsupported_token_type", f"subject_token_type must be one of {', '.join(SUBJECT_TOKEN_TYPES)}",
                        "不支持的外部令牌类型", field="body.subject_token_type")
    if requested_token_type is not None and requested_token_type not in REQUESTED_TOKEN_TYPES:
        return _refused("unsupported_token_type", f"requested_token_type must be one of {', '.join(REQUESTED_TOKEN_TYPES)}",
                        "不支持请求的令牌类型", field="body.requested_token_type")
    if actor_token is not None:
        return _refused("delegation_unsupported", "delegation (actor_token) is not supported", "不支持代理（actor_token）",
                        field="body.actor_token")
    if audience is not None and audience != settings.jwt_audience:
        return oauth_error(Kind.BAD_REQUEST, "invalid_target", f"the registry issues tokens for audience {settings.jwt_audience} only",
                           field="body.audience", zh=f"只能签发受众为 {settings.jwt_audience} 的令牌")
    return None


def _external_actor(identity: ExternalIdentity) -> Actor:
    """The identity provider as the actor of what the exchange changes (the account it creates, the verification)."""
    return Actor(id=f"external:{identity.issuer}"[:100], org=None, roles=frozenset())


async def _bound_account(
    session: AsyncSession, identity: ExternalIdentity, organisation: dict[str, Any], role: str
) -> tuple[dict[str, Any], bool]:
    """The account bound to (issuer, subject) for this organisation; created (without a password) on first use."""
    now = now_utc()
    binding = (await session.execute(
        select(external_identities).where(
            external_identities.c.issuer == identity.issuer,
            external_identities.c.subject == identity.subject,
            external_identities.c.organisation_id == organisation["id"],
        )
    )).mappings().first()
    if binding is not None:
        await session.execute(
            update(external_identities).where(external_identities.c.id == binding["id"])
            .values(last_exchanged_at=now, claimed_name=identity.name, claimed_email=identity.email, uscc=identity.uscc)
        )
        account = await find_account(session, binding["account_id"], lock=True)
        assert account is not None
        return account, False
    digest = hashlib.sha256(f"{identity.issuer}\n{identity.subject}\n{organisation['id']}".encode()).hexdigest()
    account = {
        "id": str(uuid.uuid4()),
        "organisation_id": organisation["id"],
        "username": f"ext-{digest[:32]}",
        "display_name": identity.name or str(organisation["name"])[:200],
        "email": "",  # no address: a password reset never reaches this account (the issuer's e-mail is on the binding)
        "password_hash": NO_PASSWORD,
        "roles": [role],
        "district": None,
        "active": True,
        "failed_logins": 0,
        "version": 1,
    }
    created = (await session.execute(accounts.insert().values(**account).returning(accounts))).mappings().one()
    await session.execute(external_identities.insert().values(
        id=str(uuid.uuid4()), issuer=identity.issuer, subject=identity.subject, organisation_id=organisation["id"],
        account_id=account["id"], uscc=identity.uscc, claimed_name=identity.name, claimed_email=identity.email,
    ))
    await audit(session, _external_actor(identity), "account.create_external", "account", account["id"],
                after={**account_view(created), "issuer": identity.issuer, "subject": identity.subject})
    return dict(created), True


async def token_exchange_grant(
    session: AsyncSession, key: SigningKey, settings: Settings, identity: ExternalIdentity
) -> TokenResponse | DomainError:
    """Exchange a verified external identity (``verify_subject_token``, checked before the transaction: fetching an
    issuer's keys never holds a connection) for a registry access token. No refresh token: the client exchanges again."""
    now = now_utc()
    found = (await session.execute(
        select(organisations).where(organisations.c.uscc == identity.uscc).with_for_update()
    )).mappings().first()
    if found is None:
        return invalid_grant(
            f"no organisation with USCC {identity.uscc} is registered: the enterprise signs up first",
            f"统一社会信用代码 {identity.uscc} 尚未在平台登记，请先完成企业注册", field="body.subject_token",
            code="organisation_not_registered",
        )
    organisation = dict(found)
    if organisation["kind"] not in identity.config.organisation_kinds:
        return invalid_grant(
            f"the issuer may not sign in for an organisation of kind {organisation['kind']}",
            f"该身份认证服务不能代表类型为 {organisation['kind']} 的单位登录", field="body.subject_token",
            code="organisation_kind_not_eligible",
        )
    role = next(r for r, kinds in ORGANISATION_KINDS.items() if organisation["kind"] in kinds)
    verified = await verify_by_external_identity(session, _external_actor(identity), organisation)
    if isinstance(verified, DomainError):
        return verified
    organisation, verified_now = verified
    account, created = await _bound_account(session, identity, organisation, role)
    if not account["active"]:
        return invalid_grant("the account is deactivated", "账号已停用", field="body.subject_token", code="account_inactive")
    await session.execute(update(accounts).where(accounts.c.id == account["id"]).values(last_login_at=now))
    await audit(session, account_actor(account), "account.token_exchange", "account", account["id"],
                after={"issuer": identity.issuer, "subject": identity.subject, "uscc": identity.uscc,
                       "organisation_id": organisation["id"], "account_created": created,
                       "organisation_verified": verified_now})
    access = issue_access_token(
        key, settings, subject=account["id"], roles=list(account["roles"]),
        org=account["organisation_id"], district=account["district"], now=now,
    )
    return ExchangeResponse(access.access_token, access.expires_in)
