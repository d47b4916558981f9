"""Revocation takes effect: a deactivated account is refused by every service within seconds, not when its access
token expires (handbook §6 "Auth").

The registry records ``account.deactivated`` / ``account.reactivated`` in its outbox, with the account's version as
the aggregate version. Each consuming service keeps a small read model of them in its own database
(``deactivated_accounts_table`` on the service's metadata, filled by ``revocation_subscription`` in its spec); the
registry reads its own ``accounts`` table. Each api holds the ids of the deactivated accounts in memory
(``DeactivatedAccounts``) and re-reads them every ``SIHUA_REVOCATION_REFRESH_SECONDS`` (2 s) in a background task of
its lifespan; the token verifier refuses a token whose ``sub`` is among them. A request costs a set lookup, never a
database round trip.

Worst case from the officer's click to refusal everywhere: the relay's publish (it wakes on the outbox NOTIFY), the
consumer's fetch, and one refresh interval — about 2-3 s with the default settings. While the database is away the
api keeps the last set it read (and its routes fail anyway, since every one of them uses the database).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Select, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .aio import sleep_or_stop
from .consumer import Reaction, Subscription
from .contracts.registry import ACCOUNT_DEACTIVATED, ACCOUNT_REACTIVATED, AccountDeactivated, AccountReactivated
from .events import CloudEvent
from .logging import get_logger

log = get_logger("sihua.revocation")

TABLE = "deactivated_accounts"


def deactivated_accounts_table(metadata: MetaData) -> Table:
    """The read model on a consuming service's own metadata: one row per account the registry ever deactivated, with
    its latest state. A reactivated account keeps its row (``deactivated`` false) so that the version stays known and
    a late copy of the older deactivation is ignored."""
    return Table(
        TABLE,
        metadata,
        Column("account_id", String(100), primary_key=True),
        Column("deactivated", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def create_deactivated_accounts_v1(op: Any) -> None:
    """Frozen migration body of the read model (version 1): a revision calls it, never ``Table.create``."""
    import sqlalchemy as sa

    op.create_table(
        TABLE,
        sa.Column("account_id", sa.String(100), primary_key=True),
        sa.Column("deactivated", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def drop_deactivated_accounts_v1(op: Any) -> None:
    op.drop_table(TABLE)


def deactivated_ids(table: Table) -> Select[Any]:
    """What the api's refresher reads from the read model."""
    return select(table.c.account_id).where(table.c.deactivated.is_(True))


def revocation_subscription(consumer: str, table: Table) -> Subscription:
    """The reactions that keep ``table``: the newest version of each account wins, whatever order facts arrive in."""

    async def record(session: AsyncSession, envelope: CloudEvent, fact: AccountDeactivated | AccountReactivated) -> None:
        statement = pg_insert(table).values(
            account_id=fact.account_id, deactivated=isinstance(fact, AccountDeactivated), version=fact.version
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.account_id],
                set_={"deactivated": statement.excluded.deactivated, "version": statement.excluded.version,
                      "updated_at": func.now()},
                where=table.c.version < statement.excluded.version,
            )
        )

    return Subscription(consumer, "registry", [Reaction(ACCOUNT_DEACTIVATED, record), Reaction(ACCOUNT_REACTIVATED, record)])


class DeactivatedAccounts:
    """The ids an api refuses, held in memory and replaced whole by each refresh (readers never see a half-read set)."""

    def __init__(self, query: Select[Any] | None = None) -> None:
        self._query = query
        self._ids: frozenset[str] = frozenset()
        self.refreshed_at: float | None = None  # time.monotonic() of the last successful read

    @property
    def query(self) -> Select[Any] | None:
        return self._query

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def age_seconds(self) -> float | None:
        return None if self.refreshed_at is None else time.monotonic() - self.refreshed_at

    async def refresh(self, factory: async_sessionmaker[AsyncSession]) -> None:
        if self._query is None:
            return
        async with factory() as session:
            found = await session.execute(self._query)
            self._take(found)
        self.refreshed_at = time.monotonic()

    def _take(self, found: Any) -> None:
        self._ids = frozenset(str(account_id) for account_id in found.scalars())

    async def keep_fresh(
        self, factory: async_sessionmaker[AsyncSession], interval: float, stop: asyncio.Event
    ) -> None:
        """The background task of the api's lifespan: re-read the set every ``interval`` seconds until ``stop``."""
        while not stop.is_set():
            await sleep_or_stop(stop, interval)
            try:
                await self.refresh(factory)
            except Exception as exc:  # the database may be away: keep the last set, try again next round
                log.warning("revocation.refresh_failed", error=repr(exc), age_seconds=self.age_seconds)


class RevokedBefore(DeactivatedAccounts):
    """Per account, the moment before which its access tokens are refused (a password reset ends the live tokens as
    well as the sessions): the query answers (account id, moment) rows; held and refreshed like the deactivated set."""

    def __init__(self, query: Select[Any] | None = None) -> None:
        super().__init__(query)
        self._cutoffs: dict[str, float] = {}

    def _take(self, found: Any) -> None:
        cutoffs = {str(account_id): moment.timestamp() for account_id, moment in found.all()}
        self._cutoffs, self._ids = cutoffs, frozenset(cutoffs)

    def refuses(self, account_id: str, issued_at: Any) -> bool:
        """A token of the account issued (``iat``, whole seconds) before its cutoff's second, or without ``iat``."""
        cutoff = self._cutoffs.get(account_id)
        if cutoff is None:
            return False
        return not isinstance(issued_at, int | float) or issued_at < int(cutoff)
