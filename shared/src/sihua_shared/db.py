"""Async SQLAlchemy 2 engine and sessions.

The entrypoint (a route or a consumer) owns the transaction (``Runtime.uow``); use cases receive a session and never commit.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from .clock import SESSION_KEY, BusinessClock

# A connection back in the pool for less than this is taken again without a ping (see ``create_engine``).
PING_IDLE_SECONDS = 5.0
_RETURNED = "sihua_returned_at"


def create_engine(
    database_url: str, *, pool_size: int = 20, pre_ping: bool = True, ping_idle_seconds: float = PING_IDLE_SECONDS
) -> AsyncEngine:
    """The api checks a connection that sat idle in the pool for ``ping_idle_seconds`` or more before using it
    (a broken one is replaced at once, the request does not fail); a connection used a moment ago is taken as is.
    SQLAlchemy's own ``pool_pre_ping`` would check every one, and through asyncpg a ping is three round trips
    (BEGIN, an empty statement, ROLLBACK) — more than the read itself. A connection that breaks while in use (the
    database restarts under load) fails that request, and SQLAlchemy then replaces every pooled connection.
    Workers skip the check altogether because their failures are retried anyway (the consumer naks, the relay
    backs off) and recycle instead.

    ``pool_size`` covers the requests one api process serves at once: a connection beyond it (the overflow) is
    closed when it is returned, so a pool smaller than the load opens a connection for many requests."""
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=10,
        pool_recycle=300,
        pool_timeout=10,
    )
    if pre_ping:
        _ping_idle_connections(engine, ping_idle_seconds)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    @event.listens_for(engine.sync_engine, "checkin")
    def returned(_: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def taken(dbapi_connection: Any, record: ConnectionPoolEntry, _: Any) -> None:
        since = record.info.get(_RETURNED)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # opened just now, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the pooled connection is gone") from exc  # the pool connects again


# ---- reads on the driver connection ---------------------------------------------------------------------------

# statement id → (the statement, kept alive so that its id is never reused; its SQL; its parameter names in order)
_COMPILED: dict[int, tuple[Select[Any], str, tuple[str, ...]]] = {}


def _compiled(statement: Select[Any], dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    found = _COMPILED.get(id(statement))
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        found = (statement, str(compiled), tuple(compiled.positiontup or ()))
        _COMPILED[id(statement)] = found
    return found[1], found[2]


async def fetch(session: AsyncSession, statement: Select[Any], **params: Any) -> list[dict[str, Any]]:
    """The rows of a Core ``SELECT`` built once (a module constant, its values as named ``bindparam`` s), run on the
    session's asyncpg connection: compiled once per process, no ORM session bookkeeping, no result processing —
    about half the CPU of ``session.execute`` for a one-row read. Values come back as asyncpg decodes them (the
    engine's connections decode JSON and JSONB, as SQLAlchemy would); in a unit of work the read joins its
    transaction. For statements built per call, use ``session.execute``: the cache here is by identity."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    sql, names = _compiled(statement, connection.dialect)
    records = await raw.driver_connection.fetch(sql, *(params[name] for name in names))  # type: ignore[union-attr]
    return [dict(record) for record in records]


async def fetch_one(session: AsyncSession, statement: Select[Any], **params: Any) -> dict[str, Any] | None:
    rows = await fetch(session, statement, **params)
    return rows[0] if rows else None


def session_factory(engine: AsyncEngine, *, clock: BusinessClock | None = None) -> async_sessionmaker[AsyncSession]:
    """Sessions that carry the process's business clock, so that a use case or reaction reads the same calendar as
    the route or job that opened its transaction (``clock.business_clock(session)``)."""
    info = {SESSION_KEY: clock} if clock is not None else {}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def asyncpg_dsn(database_url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg accepts, from a SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)

