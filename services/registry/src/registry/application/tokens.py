"""The OAuth 2.0 grants: password (people), client credentials (agencies), refresh token (rotation).

Access tokens are RS256 JWTs with the claims of handbook §6 and ``kid`` in the header. Refresh tokens
are opaque, stored as digests and rotated on every use; presenting a rotated one again means it was
stolen or replayed, so its whole family is revoked.

A grant answers a ``TokenResponse`` or a ``DomainError`` to raise *after* the transaction commits:
a failed login still has to count (and maybe lock the account).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.clock import now_utc
from sihua_shared.errors import DomainError
from sihua_shared.keys import SigningKey
from sihua_shared.settings import Settings

from ..adapters.account_tables import accounts, refresh_tokens
from .accounts import account_actor, find_account, find_account_by_username, find_client
from .credentials import hash_secret_async, needs_rehash, new_opaque_token, token_digest, verify_secret_async
from .oauth_errors import invalid_client, invalid_grant, too_many_attempts
from .throttle import LOCK_MINUTES, MAX_FAILED_LOGINS, address_blocked_for, count_account_failure, count_address_failure


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


Outcome = TokenResponse | DomainError


def issue_access_token(
    key: SigningKey,
    settings: Settings,
    *,
    subject: str,
    roles: list[str],
    org: str | None,
    district: str | None,
    now: datetime,
) -> TokenResponse:
    lifetime = settings.access_token_minutes * 60
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "roles": sorted(roles),
        "iat": issued,
        "exp": issued + lifetime,
        "jti": str(uuid.uuid4()),
        "typ": "access",
    }
    if org is not None:
        claims["org"] = org
    if district is not None:
        claims["district"] = district
    token = jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    return TokenResponse(access_token=token, expires_in=lifetime)


async def _new_refresh_token(
    session: AsyncSession,
    settings: Settings,
    account_id: str,
    now: datetime,
    *,
    family_id: str | None = None,
    rotated_from: str | None = None,
) -> str:
    token = new_opaque_token()
    await session.execute(
        pg_insert(refresh_tokens).values(
            id=str(uuid.uuid4()),
            token_hash=token_digest(token),
            account_id=account_id,
            family_id=family_id or str(uuid.uuid4()),
            rotated_from=rotated_from,
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return token


async def _tokens_for_account(
    session: AsyncSession, key: SigningKey, settings: Settings, account: dict[str, Any], now: datetime, **refresh: Any
) -> TokenResponse:
    access = issue_access_token(
        key, settings, subject=account["id"], roles=list(account["roles"]),
        org=account["organisation_id"], district=account["district"], now=now,
    )
    refresh_token = await _new_refresh_token(session, settings, account["id"], now, **refresh)
    return TokenResponse(access.access_token, access.expires_in, refresh_token)


async def password_grant(
    session: AsyncSession, key: SigningKey, settings: Settings, username: str, password: str, address: str
) -> Outcome:
    now = now_utc()
    blocked = await address_blocked_for(session, address, now)
    if blocked:
        return too_many_attempts(
            blocked, field="body.username", zh="登录失败次数过多，请稍后再试", description="too many failed logins from this address"
        )
    account = await find_account_by_username(session, username)
    if account is not None and account["locked_until"] is not None and account["locked_until"] > now:
        wait = math.ceil((account["locked_until"] - now).total_seconds())
        return too_many_attempts(
            wait,
            field="body.username",
            zh=f"连续 {MAX_FAILED_LOGINS} 次登录失败，账号已锁定 {LOCK_MINUTES} 分钟",
            description=f"{MAX_FAILED_LOGINS} failed logins: the account is locked for {LOCK_MINUTES} minutes",
        )
    stored = account["password_hash"] if account is not None else None
    if not await verify_secret_async(stored, password):
        await count_address_failure(session, address, now)
        if account is not None:
            await count_account_failure(session, account, now)
        return invalid_grant("wrong username or password", "用户名或密码错误")
    assert account is not None
    if not account["active"]:
        return invalid_grant("the account is deactivated", "账号已停用", field="body.username", code="account_inactive")
    values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if needs_rehash(account["password_hash"]):
        values["password_hash"] = await hash_secret_async(password)
    await session.execute(update(accounts).where(accounts.c.id == account["id"]).values(**values))
    await audit(session, account_actor(account), "account.login", "account", account["id"])
    return await _tokens_for_account(session, key, settings, account, now)


async def client_credentials_grant(
    session: AsyncSession, key: SigningKey, settings: Settings, client_id: str, secret: str
) -> Outcome:
    client = await find_client(session, client_id)
    stored = client["secret_hash"] if client is not None and client["active"] else None
    if not await verify_secret_async(stored, secret):
        return invalid_client()
    assert client is not None
    return issue_access_token(
        key, settings, subject=client["client_id"], roles=list(client["roles"]),
        org=client["organisation_id"], district=None, now=now_utc(),
    )


async def refresh_grant(session: AsyncSession, key: SigningKey, settings: Settings, token: str) -> Outcome:
    now = now_utc()
    refused = invalid_grant("the refresh token is invalid, expired or revoked", "刷新令牌无效、已过期或已撤销", field="body.refresh_token")
    query = select(refresh_tokens).where(refresh_tokens.c.token_hash == token_digest(token))
    found = (await session.execute(query)).mappings().first()
    if found is None:
        return refused
    # The account is locked before the token, in the same order as deactivation, so they never deadlock.
    account = await find_account(session, found["account_id"], lock=True)
    assert account is not None
    row = (await session.execute(query.with_for_update())).mappings().one()
    if row["revoked_at"] is not None:
        return refused
    if row["used_at"] is not None:
        revoked = await revoke_family(session, row["family_id"], now)
        await audit(session, account_actor(account), "refresh_token.reuse_detected", "refresh_token", row["family_id"],
                    after={"revoked_tokens": revoked, "presented": row["id"]})
        return refused
    if row["expires_at"] <= now or not account["active"]:
        return refused
    await session.execute(update(refresh_tokens).where(refresh_tokens.c.id == row["id"]).values(used_at=now))
    await audit(session, account_actor(account), "refresh_token.rotate", "refresh_token", row["family_id"], before={"id": row["id"]})
    return await _tokens_for_account(session, key, settings, account, now, family_id=row["family_id"], rotated_from=row["id"])


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> int:
    result = await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(refresh_tokens.c.id)
    )
    return len(result.all())


async def revoke_refresh_token(session: AsyncSession, token: str) -> None:
    """RFC 7009: revoke the token and every token of its login; unknown tokens are not an error."""
    row = (
        await session.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_digest(token)))
    ).mappings().first()
    if row is None:
        return
    revoked = await revoke_family(session, row["family_id"], now_utc())
    if revoked:
        account = await find_account(session, row["account_id"])
        assert account is not None
        await audit(session, account_actor(account), "refresh_token.revoke", "refresh_token", row["family_id"],
                    after={"revoked_tokens": revoked})
