"""The public sign-up (S2 五(一): 征集、遴选、主动报备): an enterprise, provider, cluster body or third-party organisation
signs itself up; it starts ``unverified`` until a district officer of its district (or a city officer) decides
(``application.verification``). Takes a session, never commits.

Enumeration: the caller learns nothing about what is registered. The answer is the same whether the USCC (or the
contact's e-mail address as a login) is new or already known; only the mails differ, and they go to the addresses on
file, after the answer:

- a new USCC and address: the organisation (``unverified``) and its contact's account (the role of its kind) are
  created; the contact gets an activation link (a one-time token, ``ACTIVATION_HOURS`` valid) to set a password;
- a USCC already registered: nothing is created; every active account of that organisation (and the contact it
  signed up with) gets a mail saying someone tried to sign it up again, with a password-reset link to recover it;
- an address already used as a login: nothing is created; the address gets a mail saying so, with a reset link.

Throttled per client address and per USCC over a rolling window (429 with ``Retry-After``), whatever the outcome.
Without a mail server nothing could reach the contact: the sign-up is refused (503 ``mail_unavailable``), nothing
stored, as for password reset.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.errors import DomainError, Kind, invalid
from sihua_shared.jurisdiction import Jurisdiction

from ..adapters.account_tables import accounts
from ..adapters.sign_up_tables import sign_up_attempts
from ..adapters.tables import organisations
from ..domain.verification import SIGN_UP_KINDS, Verification
from .accounts import normalise_username
from .organisation_profile import check_profile, profile_problem
from .organisations import insert_organisations
from .password_reset import RESET_MINUTES, confirm_password_reset, issue_reset_token

ACTIVATION_HOURS = 72
SIGN_UP_WINDOW = timedelta(hours=1)
MAX_PER_ADDRESS = 10  # sign-ups from one client address per window
MAX_PER_USCC = 3  # sign-ups naming one USCC per window, from anywhere
# The actor of a public sign-up in the audit trail (nobody is signed in).
SIGN_UP = Actor(id="public-sign-up", org=None, roles=frozenset())

MailKind = Literal["activate", "signed_up_again", "address_in_use"]


@dataclass(frozen=True)
class SignUpMail:
    kind: MailKind
    to: str
    display_name: str
    organisation_name: str
    uscc: str
    token: str | None = None  # activation (``activate``) or password reset (the others); None: no account to recover


def mail_unavailable() -> DomainError:
    return DomainError("mail_unavailable", "邮件服务未配置，暂不能在线注册，请联系所在区主管部门",
                       "sign-up is unavailable: no mail server is configured; ask your district's officers",
                       kind=Kind.UNAVAILABLE)


def _throttled(retry_after: int) -> DomainError:
    return DomainError("sign_up_throttled", "注册申请过于频繁，请稍后再试", "too many sign-ups; try again later",
                       field="body", kind=Kind.TOO_MANY_REQUESTS, details={"retry_after": max(retry_after, 1)})


async def _throttle(session: AsyncSession, keys: list[tuple[str, int]], now: datetime) -> None:
    """Refuse (429) when any key has reached its limit in the current window; else count this attempt on each."""
    table = sign_up_attempts
    found = await session.execute(select(table).where(table.c.key.in_([k for k, _ in keys])).with_for_update())
    held = {row["key"]: row for row in found.mappings()}
    waits = []
    for key, limit in keys:
        row = held.get(key)
        if row is not None and row["window_started_at"] > now - SIGN_UP_WINDOW and row["attempts"] >= limit:
            waits.append(math.ceil((row["window_started_at"] + SIGN_UP_WINDOW - now).total_seconds()))
    if waits:
        raise _throttled(max(waits))
    window_over = table.c.window_started_at <= now - SIGN_UP_WINDOW
    for key, _ in keys:
        statement = pg_insert(table).values(key=key, attempts=1, window_started_at=now)
        await session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"attempts": case((window_over, 1), else_=table.c.attempts + 1),
                  "window_started_at": case((window_over, now), else_=table.c.window_started_at)},
        ))


def _checked(profile: Mapping[str, Any], jurisdiction: Jurisdiction) -> dict[str, Any]:
    if profile.get("kind") not in SIGN_UP_KINDS:
        raise invalid("body.kind", "只能以企业、服务商、集群责任主体或第三方机构注册",
                      f"sign up as one of {', '.join(SIGN_UP_KINDS)}", "kind_not_for_sign_up")
    row, errors = check_profile(profile, jurisdiction)
    if errors:
        raise profile_problem(errors)
    return row


async def sign_up(
    session: AsyncSession,
    profile: Mapping[str, Any],
    contact_name: str,
    contact_email: str,
    *,
    address: str,
    mail_configured: bool,
    jurisdiction: Jurisdiction,
) -> list[SignUpMail]:
    """Sign an organisation up (see the module): the mails to send once the transaction is committed."""
    if not mail_configured:
        raise mail_unavailable()
    row = _checked(profile, jurisdiction)
    now = now_utc()
    await _throttle(session, [(f"address:{address}", MAX_PER_ADDRESS), (f"uscc:{row['uscc']}", MAX_PER_USCC)], now)
    email = normalise_username(contact_email)
    existing = await _organisation_by_uscc(session, row["uscc"])
    if existing is not None:
        return await _signed_up_again(session, existing, now)
    in_use = (await session.execute(select(accounts).where(accounts.c.username == email))).mappings().first()
    if in_use is not None:
        token = await issue_reset_token(session, in_use, now) if in_use["active"] else None
        await audit(session, SIGN_UP, "organisation.sign_up_address_in_use", "account", in_use["id"],
                    after={"uscc": row["uscc"]})
        return [SignUpMail("address_in_use", in_use["email"], in_use["display_name"], row["name"], row["uscc"], token)]
    try:
        (organisation,) = await insert_organisations(session, SIGN_UP, [
            {**row, "verification": Verification.UNVERIFIED.value, "contact_name": contact_name, "contact_email": email},
        ])
    except DomainError as exc:
        if exc.code != "uscc_taken":
            raise
        # Signed up by someone else meanwhile: the same answer, the same mail as when it was there before.
        raced = await _organisation_by_uscc(session, row["uscc"])
        assert raced is not None
        return await _signed_up_again(session, raced, now)
    account = await _contact_account(session, organisation, contact_name, email)
    token = await issue_reset_token(session, account, now, minutes=ACTIVATION_HOURS * 60, action="account.activation_issued")
    assert token is not None  # a new account has no earlier token
    return [SignUpMail("activate", email, contact_name, organisation["name"], organisation["uscc"], token)]


async def _organisation_by_uscc(session: AsyncSession, uscc: str) -> dict[str, Any] | None:
    found = await session.execute(select(organisations).where(organisations.c.uscc == uscc))
    row = found.mappings().first()
    return dict(row) if row else None


async def _contact_account(session: AsyncSession, organisation: Mapping[str, Any], name: str, email: str) -> dict[str, Any]:
    """The contact's account, of the role matching the organisation's kind; no usable password until activated."""
    values = {
        "id": str(uuid.uuid4()), "organisation_id": organisation["id"], "username": email, "display_name": name,
        "email": email, "password_hash": f"!unactivated:{secrets.token_hex(16)}",  # never matches any password
        "roles": [SIGN_UP_KINDS[organisation["kind"]]], "district": None, "active": True, "failed_logins": 0, "version": 1,
    }
    created = (await session.execute(pg_insert(accounts).values(**values).returning(accounts))).mappings().one()
    view = {k: created[k] for k in ("id", "organisation_id", "username", "display_name", "email", "roles")}
    await audit(session, SIGN_UP, "account.create", "account", values["id"], after=view)
    return dict(created)


async def _signed_up_again(session: AsyncSession, organisation: Mapping[str, Any], now: datetime) -> list[SignUpMail]:
    """Mails to the organisation's people: its active accounts (each with a reset link) and its sign-up contact."""
    found = await session.execute(
        select(accounts).where(accounts.c.organisation_id == organisation["id"], accounts.c.active.is_(True))
        .order_by(accounts.c.created_at).with_for_update()
    )
    mails = []
    for account in found.mappings():
        # the sign-up throttle per USCC bounds these mails; the reset form's one-a-minute rule does not apply
        token = await issue_reset_token(session, account, now, resend_after=None)
        mails.append(SignUpMail("signed_up_again", account["email"], account["display_name"], organisation["name"],
                                organisation["uscc"], token))
    contact = organisation.get("contact_email")
    if contact and all(mail.to != contact for mail in mails):
        mails.append(SignUpMail("signed_up_again", contact, organisation.get("contact_name") or contact, organisation["name"],
                                organisation["uscc"]))
    await audit(session, SIGN_UP, "organisation.sign_up_again", "organisation", organisation["id"],
                after={"mailed": len(mails)})
    return mails


async def activate_account(session: AsyncSession, token: str, password: str) -> dict[str, Any]:
    """Set the first password of a signed-up contact's account through the mailed activation link."""
    return await confirm_password_reset(session, token, password, action="account.activate")


def sign_up_mail_text(mail: SignUpMail, activation_link: str, reset_link: str, reset_request: str) -> tuple[str, str]:
    """Subject and text of each sign-up mail (Chinese first, then English)."""
    if mail.kind == "activate":
        subject = "四化平台：激活账号 / Sihua: activate your account"
        text = (
            f"{mail.display_name}：\n\n"
            f"您已为“{mail.organisation_name}”（统一社会信用代码 {mail.uscc}）提交注册。"
            f"请在 {ACTIVATION_HOURS} 小时内打开以下链接设置密码，激活账号；链接只能使用一次。"
            "单位信息由所在区主管部门核验，核验前可以完善单位信息、进行练习性自评估"
            "（不作为正式记录，不作为匹配和资金支持的依据）。\n"
            f"You signed up {mail.organisation_name} (USCC {mail.uscc}). Open this link within {ACTIVATION_HOURS} hours to "
            "set your password; it works once. Until your district's officers verify the organisation, it may fill its "
            "profile and take practice self-assessments, which are no official record and no basis for matching or money.\n\n"
            f"{activation_link}\n\n"
            "如果不是您本人申请，请忽略本邮件。 If you did not sign up, ignore this mail.\n"
        )
        return subject, text
    recover = (
        f"找回账号：打开以下链接重新设置密码（{RESET_MINUTES} 分钟内有效）：\nRecover your account: set a new password through "
        f"this link (valid for {RESET_MINUTES} minutes):\n\n{reset_link}\n\n" if mail.token else
        f"找回账号：向 {reset_request} 提交您的登录名或邮箱以重置密码，或联系所在区主管部门。\nRecover your account: ask for a "
        f"password reset at {reset_request} with your login or e-mail, or ask your district's officers.\n\n"
    )
    if mail.kind == "signed_up_again":
        subject = "四化平台：有人再次申请注册贵单位 / Sihua: someone tried to sign up your organisation again"
        text = (
            f"{mail.display_name}：\n\n"
            f"有人使用“{mail.organisation_name}”的统一社会信用代码 {mail.uscc} 再次申请注册。贵单位已经登记，无需再次注册。\n"
            f"Someone tried to sign up {mail.organisation_name} (USCC {mail.uscc}) again. It is already registered.\n\n"
            f"{recover}"
            "如果不是您或您的同事申请，请忽略本邮件。 If neither you nor a colleague did this, ignore this mail.\n"
        )
        return subject, text
    subject = "四化平台：该邮箱已有账号 / Sihua: this address already has an account"
    text = (
        f"{mail.display_name}：\n\n"
        f"有人使用您的邮箱为“{mail.organisation_name}”（统一社会信用代码 {mail.uscc}）申请注册，但该邮箱已是一个账号的登录名，"
        "未作注册。请使用其他邮箱注册，或登录现有账号。\n"
        f"Someone signed up {mail.organisation_name} (USCC {mail.uscc}) with your address, which already is the login of an "
        "account; nothing was registered. Sign up with another address, or sign in to the existing account.\n\n"
        f"{recover}"
        "如果不是您本人申请，请忽略本邮件。 If you did not sign up, ignore this mail.\n"
    )
    return subject, text

