"""Password reset by a one-time link sent by e-mail.

Asking never reveals whether an account exists; the link's token is random, stored as a digest, valid
for ``RESET_MINUTES`` and used once. A reset ends every session of the account and lifts a lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.errors import DomainError, Kind, invalid

from ..adapters.account_tables import accounts, password_reset_tokens
from .accounts import account_actor, account_view, find_account, normalise_username, revoke_account_sessions
from .credentials import hash_secret_async, new_opaque_token, password_problems, token_digest

RESET_MINUTES = 60
# One mail per account per minute at most, so the form cannot be used to flood someone's inbox.
RESEND_AFTER = timedelta(minutes=1)
ANONYMOUS = Actor(id="anonymous", org=None, roles=frozenset())


@dataclass(frozen=True)
class ResetMail:
    to: str
    username: str
    display_name: str
    token: str


def mail_unavailable() -> DomainError:
    return DomainError("mail_unavailable", "邮件服务未配置，暂不能通过邮件重置密码，请联系管理员",
                       "password reset is unavailable: no mail server is configured; ask an administrator",
                       kind=Kind.UNAVAILABLE)


async def request_password_reset(session: AsyncSession, login: str, *, mail_configured: bool) -> list[ResetMail]:
    """One-time tokens for the active accounts named by ``login`` (a username or an e-mail address).

    Without a mail server no link could reach anyone: the request is refused (``mail_unavailable``) and nothing is stored.
    """
    if not mail_configured:
        raise mail_unavailable()
    now = now_utc()
    wanted = normalise_username(login)
    found = await session.execute(
        select(accounts)
        .where(or_(accounts.c.username == wanted, accounts.c.email == wanted), accounts.c.active.is_(True))
        .with_for_update()
    )
    mails = []
    for account in found.mappings():
        token = await issue_reset_token(session, account, now)
        if token is not None:
            mails.append(ResetMail(account["email"], account["username"], account["display_name"], token))
    return mails


async def issue_reset_token(
    session: AsyncSession, account: Mapping[Any, Any], now: datetime, *, minutes: int = RESET_MINUTES,
    action: str = "password_reset.request", resend_after: timedelta | None = RESEND_AFTER,
) -> str | None:
    """A one-time token setting the account's password (stored as a digest), or None when one was issued less than
    ``resend_after`` ago. Also the activation link of an account created by the public sign-up (``sign_up``)."""
    if resend_after is not None:
        recent = await session.execute(
            select(password_reset_tokens.c.id).where(
                password_reset_tokens.c.account_id == account["id"],
                password_reset_tokens.c.created_at > now - resend_after,
            )
        )
        if recent.first() is not None:
            return None
    token = new_opaque_token()
    token_id = str(uuid.uuid4())
    await session.execute(
        pg_insert(password_reset_tokens).values(
            id=token_id,
            token_hash=token_digest(token),
            account_id=account["id"],
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
    )
    await audit(session, ANONYMOUS, action, "account", account["id"], after={"reset_token_id": token_id})
    return token


def _invalid_token() -> DomainError:
    return invalid("body.token", "重置链接无效、已过期或已使用", "the reset link is invalid, expired or already used",
                   "invalid_reset_token")


async def confirm_password_reset(
    session: AsyncSession, token: str, new_password: str, *, action: str = "account.password_reset"
) -> dict[str, Any]:
    """Set the password through a one-time token (``action`` names it in the audit trail: a reset or an activation)."""
    problems = password_problems(new_password)
    if problems:
        raise DomainError("weak_password", "新密码不符合密码规则", "the new password does not meet the policy", problems=problems)
    now = now_utc()
    query = select(password_reset_tokens).where(password_reset_tokens.c.token_hash == token_digest(token))
    found = (await session.execute(query)).mappings().first()
    if found is None:
        raise _invalid_token()
    account = await find_account(session, found["account_id"], lock=True)
    row = (await session.execute(query.with_for_update())).mappings().one()
    if account is None or not account["active"] or row["used_at"] is not None or row["expires_at"] <= now:
        raise _invalid_token()
    await session.execute(
        update(password_reset_tokens)
        .where(password_reset_tokens.c.account_id == account["id"], password_reset_tokens.c.used_at.is_(None))
        .values(used_at=now)
    )
    changed = await session.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            password_hash=await hash_secret_async(new_password),
            password_changed_at=now,
            failed_logins=0,
            locked_until=None,
            version=accounts.c.version + 1,
            updated_at=now,
        )
        .returning(accounts)
    )
    after = account_view(changed.mappings().one())
    await revoke_account_sessions(session, account["id"], now)
    await audit(
        session, account_actor(account), action, "account", account["id"],
        before={"version": account["version"]}, after={"version": after["version"], "reset_token_id": row["id"]},
    )
    return after


def reset_mail_text(mail: ResetMail, link: str) -> tuple[str, str]:
    subject = "四化平台：重置密码 / Sihua: reset your password"
    text = (
        f"{mail.display_name}（{mail.username}）：\n\n"
        f"请在 {RESET_MINUTES} 分钟内打开以下链接设置新密码，链接只能使用一次：\n"
        f"Open this link within {RESET_MINUTES} minutes to set a new password; it works once:\n\n"
        f"{link}\n\n"
        "如果不是您本人申请，请忽略本邮件。 If you did not ask for this, ignore this mail.\n"
    )
    return subject, text
