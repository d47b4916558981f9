"""The transactional outbox: record events with the state change; a relay publishes what was committed.

The relay publishes with ``Nats-Msg-Id`` = event id (JetStream drops duplicates within its window),
locks its batch with ``FOR UPDATE SKIP LOCKED`` so several replicas never share rows, wakes on the
outbox trigger's NOTIFY rather than only polling, and backs off while NATS is away.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .aio import sleep_or_stop
from .db import asyncpg_dsn
from .events import CloudEvent, EventPayload, EventSpec, new_event
from .logging import get_logger
from .migrations import OUTBOX_CHANNEL
from .tables import outbox

log = get_logger("sihua.outbox")


async def record_event(
    session: AsyncSession,
    spec: EventSpec[Any],
    payload: EventPayload,
    *,
    subject: str,
    aggregate_version: int | None = None,
    namespace: str = "",
) -> CloudEvent:
    """Add an event to the outbox in the caller's transaction; it is published after commit.

    ``namespace`` is accepted for older callers and ignored: the relay applies its own namespace, so use
    cases and reactions need not know it.
    """
    event = new_event(spec, payload, subject=subject, aggregate_version=aggregate_version)
    await session.execute(
        insert(outbox).values(
            id=uuid.UUID(event.id),
            type=event.type,
            subject=spec.subject(),
            envelope=event.model_dump(mode="json", exclude_none=True),
        )
    )
    return event


async def outbox_backlog(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())


Publisher = Callable[[str, bytes, dict[str, str]], Awaitable[Any]]


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, oldest first."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        *,
        database_url: str,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 10.0,
        name: str = "relay",
        namespace: str = "",
    ) -> None:
        self._factory = factory
        self._js = js
        self._dsn = asyncpg_dsn(database_url)
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self.name = name
        self._prefix = f"{namespace}." if namespace else ""
        self.published = 0

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were published (0 when none were waiting)."""
        async with self._factory() as session, session.begin():
            rows = (
                await session.execute(
                    select(outbox.c.seq, outbox.c.id, outbox.c.subject, outbox.c.envelope)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            acks = [
                self._js.publish(
                    self._prefix + row.subject,
                    json.dumps(row.envelope, ensure_ascii=False).encode(),
                    headers={
                        "Nats-Msg-Id": str(row.id),
                        "Content-Type": "application/cloudevents+json; charset=utf-8",
                    },
                )
                for row in rows
            ]
            results = await asyncio.gather(*acks, return_exceptions=True)
            done = [row.seq for row, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [(row.seq, res) for row, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            if done:
                await session.execute(
                    update(outbox).where(outbox.c.seq.in_(done)).values(published_at=func.now())
                )
            for seq, error in failed:
                await session.execute(
                    update(outbox)
                    .where(outbox.c.seq == seq)
                    .values(attempts=outbox.c.attempts + 1, last_error=repr(error)[:500])
                )
        self.published += len(done)
        if failed:
            raise ConnectionError(f"{len(failed)} of {len(rows)} publishes failed: {failed[0][1]!r}")
        return len(done)

    async def _listen(self) -> None:
        try:
            self._listener = await asyncpg.connect(self._dsn)
            await self._listener.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as exc:  # polling still works without it
            log.warning("outbox.listen_failed", error=str(exc))
            self._listener = None

    async def run(self, stop: asyncio.Event) -> None:
        await self._listen()
        backoff = 0.2
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    while await self.publish_batch() == self._batch_size:
                        pass
                    backoff = 0.2
                except Exception as exc:  # NATS away or database trouble: back off, never give up
                    log.warning("outbox.publish_failed", relay=self.name, error=repr(exc), retry_in=backoff)
                    await sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    if self._listener is None or self._listener.is_closed():
                        await self._listen()
                    continue
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        finally:
            if self._listener is not None and not self._listener.is_closed():
                await self._listener.close()

