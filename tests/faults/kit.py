"""Shared pieces of the fault tests: registering organisations, publishing raw messages, counting effects."""

from __future__ import annotations

import json
import uuid
from typing import Any

from nats.aio.client import Client as NATS
from sqlalchemy import func, select

from diagnosis.adapters.readmodels import known_organisations
from sihua_shared.bus import ensure_stream
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, OrganisationRegistered
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import new_event
from sihua_shared.outbox import record_event
from sihua_shared.tables import dead_letters, outbox, processed_messages
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Servers
from tests.pipeline.helpers import rows


def org_payload(n: int) -> OrganisationRegistered:
    return OrganisationRegistered(
        organisation_id=str(uuid.uuid4()),
        uscc=make_uscc(n),
        name=f"测试企业{n:04d}",
        kind="enterprise",
        district="tianhe",
    )


async def commit_events(database_url: str, count: int, namespace: str, *, start: int = 0) -> list[str]:
    """Record ``count`` organisation facts in the registry outbox, committed."""
    engine = create_engine(database_url)
    ids = []
    try:
        async with session_factory(engine)() as session, session.begin():
            for n in range(start, start + count):
                payload = org_payload(n)
                await record_event(
                    session, ORGANISATION_REGISTERED, payload, subject=payload.organisation_id, namespace=namespace
                )
                ids.append(payload.organisation_id)
    finally:
        await engine.dispose()
    return ids


async def publish_raw(servers: Servers, subject: str, data: bytes, msg_id: str | None = None) -> None:
    """Publish as the harness's admin, standing in for the producer (its worker would never send this)."""
    nc: NATS = await servers.connect("fault-test")
    try:
        js = nc.jetstream()
        namespace, _, producer = subject.split(".")[:3]
        await ensure_stream(js, producer, namespace=namespace)
        await js.publish(subject, data, headers={"Nats-Msg-Id": msg_id or str(uuid.uuid4())})
    finally:
        await nc.close()


def envelope_bytes(payload: OrganisationRegistered, **overrides: Any) -> bytes:
    event = new_event(ORGANISATION_REGISTERED, payload, subject=payload.organisation_id)
    body = event.model_dump(mode="json", exclude_none=True)
    body.update(overrides)
    return json.dumps(body, ensure_ascii=False).encode()


async def count(database_url: str, table: Any) -> int:
    return int((await rows(database_url, select(func.count()).select_from(table)))[0][0])


async def effects(database_url: str) -> dict[str, int]:
    """Organisation id → how many times a fact about it was applied."""
    found = await rows(
        database_url, select(known_organisations.c.organisation_id, known_organisations.c.facts_applied)
    )
    return {r[0]: r[1] for r in found}


async def backlog(database_url: str) -> int:
    query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    return int((await rows(database_url, query))[0][0])


__all__ = ["count", "dead_letters", "processed_messages", "effects", "backlog"]
