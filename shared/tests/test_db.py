"""The api's engine: a pooled connection that died while idle is replaced before a request uses it; one used a
moment ago is taken without a ping; read sessions run without a transaction."""

from __future__ import annotations

import asyncpg
from sqlalchemy import text

from sihua_shared.db import asyncpg_dsn, create_engine
from sihua_shared.runtime import Runtime
from sihua_shared.testing.harness import Stack


async def _backend_pid(engine: object) -> int:
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(database_url: str, pid: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(stack: Stack) -> None:
    url = (await stack.settings("catalog")).database_url
    engine = create_engine(url, pool_size=1, ping_idle_seconds=0.0)  # every reuse counts as idle here
    try:
        first = await _backend_pid(engine)
        await _terminate(url, first)
        second = await _backend_pid(engine)  # no error: the dead connection was pinged and replaced
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_reused_as_is(stack: Stack) -> None:
    url = (await stack.settings("catalog")).database_url
    engine = create_engine(url, pool_size=1, ping_idle_seconds=3600.0)
    try:
        first = await _backend_pid(engine)
        assert await _backend_pid(engine) == first
    finally:
        await engine.dispose()


async def test_read_sessions_run_outside_a_transaction(stack: Stack) -> None:
    runtime = Runtime.build(await stack.settings("catalog"))
    try:
        async with runtime.read() as session:
            # outside a transaction, each statement has its own transaction id
            first = (await session.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        assert first != second
        async with runtime.uow() as session:
            first = (await session.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        assert first == second
    finally:
        await runtime.close()
