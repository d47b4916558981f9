"""Async SQLAlchemy 2 engine and sessions.

The entrypoint (a route or a consumer) owns the transaction (``Runtime.uow``); use cases receive a session and never commit.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from .clock import SESSION_KEY, BusinessClock


def create_engine(database_url: str, *, pool_size: int = 10, pre_ping: bool = True) -> AsyncEngine:
    """The api pings connections before use; workers skip it (three round trips per event) because
    their failures are retried anyway (the consumer naks, the relay backs off) and recycle instead."""
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=pre_ping,
        pool_recycle=300,
        pool_timeout=10,
    )


def session_factory(engine: AsyncEngine, *, clock: BusinessClock | None = None) -> async_sessionmaker[AsyncSession]:
    """Sessions that carry the process's business clock, so that a use case or reaction reads the same calendar as
    the route or job that opened its transaction (``clock.business_clock(session)``)."""
    info = {SESSION_KEY: clock} if clock is not None else {}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def asyncpg_dsn(database_url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg accepts, from a SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)

