"""Helpers for cross-service tests: import the service specs and read the read models."""

from __future__ import annotations

import importlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from diagnosis.adapters.readmodels import known_organisations
from sihua_shared.bus import stream_name
from sihua_shared.service import ServiceSpec
from sihua_shared.testing.harness import Stack

CONSUMERS = ("diagnosis", "catalog", "funding", "evaluation")


def spec_of(service: str) -> ServiceSpec:
    spec: ServiceSpec = importlib.import_module(f"{service}.spec").SPEC
    return spec


def producers_of(service: str, *, but: tuple[str, ...] = ()) -> list[str]:
    """The producers whose streams a service's worker consumes, leaving out ``but`` and the service itself (its
    worker creates its own stream): a test that stands in for those producers creates their streams."""
    return sorted({s.producer for s in spec_of(service).subscriptions} - {service, *but})


async def rows(database_url: str, query: Any) -> list[Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def organisations_seen(database_url: str) -> list[Any]:
    return await rows(database_url, select(known_organisations).order_by(known_organisations.c.name))


async def facts_on_nats(stack: Stack, producer: str = "diagnosis") -> list[dict[str, Any]]:
    """Every fact on a producer's stream in this test's namespace, read by an ephemeral consumer."""
    nc = await stack.servers.connect(f"{producer}-facts-check")
    try:
        js = nc.jetstream()
        stream = stream_name(producer, stack.namespace)
        total = (await js.stream_info(stream)).state.messages
        sub = await js.pull_subscribe(f"{stack.namespace}.sihua.{producer}.>", stream=stream)
        found: list[dict[str, Any]] = []
        while len(found) < total:  # every fact, however many (a single fetch returns at most its batch)
            found.extend(json.loads(m.data) for m in await sub.fetch(min(total - len(found), 500), timeout=2))
        if not found:
            raise TimeoutError(f"no fact on {stream}")
        return found
    finally:
        await nc.close()
