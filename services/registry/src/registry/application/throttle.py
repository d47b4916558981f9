"""Failed-login throttling, counted in the database so that every api replica sees the same counts.

Per account: after ``MAX_FAILED_LOGINS`` failures the account is locked for ``LOCK_MINUTES``; the count
starts again when the lock lifts. Per client address: a coarser limit over a rolling window, so that one
address cannot try many usernames. The address is the peer uvicorn reports: behind a gateway, run
uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` set to the gateway, or every caller shares
the gateway's address (and its limit).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit

from ..adapters.account_tables import accounts, login_failures_by_address
from .accounts import account_actor

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MAX_FAILURES_PER_ADDRESS = 50
ADDRESS_WINDOW = timedelta(minutes=15)


async def count_account_failure(session: AsyncSession, account: dict[str, Any], now: datetime) -> None:
    """One more failure; the fifth locks the account (and audits the lock)."""
    reaches_limit = accounts.c.failed_logins + 1 >= MAX_FAILED_LOGINS
    result = await session.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            failed_logins=case((reaches_limit, 0), else_=accounts.c.failed_logins + 1),
            locked_until=case((reaches_limit, now + timedelta(minutes=LOCK_MINUTES)), else_=accounts.c.locked_until),
        )
        .returning(accounts.c.failed_logins, accounts.c.locked_until)
    )
    failed, locked_until = result.one()
    actor = account_actor(account)
    if locked_until is not None and locked_until > now:
        await audit(
            session, actor, "account.lock", "account", account["id"],
            before={"failed_logins": account["failed_logins"]},
            after={"failed_logins": failed, "locked_until": locked_until.isoformat()},
        )
    else:
        await audit(
            session, actor, "account.login_failed", "account", account["id"],
            before={"failed_logins": account["failed_logins"]}, after={"failed_logins": failed},
        )


async def count_address_failure(session: AsyncSession, address: str, now: datetime) -> None:
    table = login_failures_by_address
    window_over = table.c.window_started_at <= now - ADDRESS_WINDOW
    await session.execute(
        pg_insert(table)
        .values(address=address, failures=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.address],
            set_={
                "failures": case((window_over, 1), else_=table.c.failures + 1),
                "window_started_at": case((window_over, now), else_=table.c.window_started_at),
            },
        )
    )


async def address_blocked_for(session: AsyncSession, address: str, now: datetime) -> int:
    """Seconds until ``address`` may try again; 0 when it may now."""
    table = login_failures_by_address
    row = (await session.execute(select(table).where(table.c.address == address))).mappings().first()
    if row is None or row["failures"] < MAX_FAILURES_PER_ADDRESS:
        return 0
    remaining = (row["window_started_at"] + ADDRESS_WINDOW - now).total_seconds()
    return max(math.ceil(remaining), 0)
