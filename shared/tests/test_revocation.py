"""The api's set of deactivated accounts: read from the service's read model, re-read in the background, and kept
as it was while the database is away."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert, update

from catalog.adapters.tables import deactivated_accounts
from sihua_shared.db import create_engine, session_factory
from sihua_shared.revocation import DeactivatedAccounts, deactivated_ids
from sihua_shared.testing.harness import Stack, eventually


async def test_the_set_follows_the_read_model_and_survives_a_database_outage(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    refused = DeactivatedAccounts(deactivated_ids(deactivated_accounts))
    stop = asyncio.Event()
    try:
        async with factory() as session, session.begin():
            await session.execute(insert(deactivated_accounts).values(account_id="a-1", deactivated=True, version=2))
            await session.execute(insert(deactivated_accounts).values(account_id="a-2", deactivated=False, version=3))
        await refused.refresh(factory)
        assert "a-1" in refused and "a-2" not in refused and len(refused) == 1


        keeper = asyncio.create_task(refused.keep_fresh(factory, 0.1, stop))
        async with factory() as session, session.begin():
            await session.execute(update(deactivated_accounts).values(deactivated=True))

        async def both() -> bool:
            return "a-2" in refused

        await eventually(both, timeout=5)
        assert refused.age_seconds is not None and refused.age_seconds < 5
        stop.set()
        await keeper

        away = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
        stop = asyncio.Event()
        keeper = asyncio.create_task(refused.keep_fresh(session_factory(away), 0.05, stop))
        await asyncio.sleep(0.3)  # several failed rounds
        stop.set()
        await keeper
        await away.dispose()
        assert "a-1" in refused and "a-2" in refused  # the last set read is kept
        assert refused.age_seconds is not None and refused.age_seconds >= 0.25
    finally:
        stop.set()
        await engine.dispose()


def test_a_service_without_a_query_refuses_no_one() -> None:
    nobody = DeactivatedAccounts()
    assert "anyone" not in nobody and len(nobody) == 0 and nobody.age_seconds is None
