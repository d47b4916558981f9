"""The transactional outbox: record events with the state change; a relay publishes what was committed.

The relay publishes with ``Nats-Msg-Id`` = event id (JetStream drops duplicates within its window),
locks its batch with ``FOR UPDATE SKIP LOCKED`` so several replicas never share rows, keeps each
aggregate's facts in order even when a publish fails, wakes on the outbox trigger's NOTIFY rather than
only polling, and backs off while NATS is away.
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
) -> CloudEvent:
    """Add an event to the outbox in the caller's transaction; it is published after commit.

    The relay applies its own namespace, so use cases and reactions need not know it.
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


async def record_events(
    session: AsyncSession,
    facts: list[tuple[EventSpec[Any], EventPayload, str, int | None]],
) -> list[CloudEvent]:
    """Add several events — ``(spec, payload, subject, aggregate version)`` each, in the order given — to the
    outbox in the caller's transaction with one statement; they are published after commit in that order."""
    events = []
    rows = []
    for spec, payload, subject, version in facts:
        event = new_event(spec, payload, subject=subject, aggregate_version=version)
        events.append(event)
        rows.append(
            {
                "id": uuid.UUID(event.id),
                "type": event.type,
                "subject": spec.subject(),
                "envelope": event.model_dump(mode="json", exclude_none=True),
            }
        )
    if rows:
        await session.execute(insert(outbox), rows)
    return events


async def outbox_backlog(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())


Publisher = Callable[[str, bytes, dict[str, str]], Awaitable[Any]]

_earlier = outbox.alias("earlier")
_COLUMNS = (outbox.c.seq, outbox.c.id, outbox.c.subject, outbox.c.envelope, outbox.c.aggregate)


def _heads(limit: int) -> Any:
    """The oldest unpublished fact of each aggregate, oldest first, skipping rows another relay holds.

    A row with an earlier unpublished row of its aggregate is never a head: while another relay holds that
    earlier row (or it failed), the later one waits, so no fact overtakes an earlier one of its aggregate.
    """
    earlier_pending = (
        select(_earlier.c.seq)
        .where(
            _earlier.c.aggregate == outbox.c.aggregate,
            _earlier.c.published_at.is_(None),
            _earlier.c.seq < outbox.c.seq,
        )
        .exists()
    )
    return (
        select(*_COLUMNS)
        .where(outbox.c.published_at.is_(None), ~earlier_pending)
        .order_by(outbox.c.seq)
        .limit(limit)
        .with_for_update(of=outbox, skip_locked=True)
    )


def _followers(aggregates: set[str], heads: list[int], limit: int) -> Any:
    """The later unpublished facts of aggregates whose head this relay holds. No other relay can take them
    (their head is held here), so they are locked without skipping and published after their head."""
    return (
        select(*_COLUMNS)
        .where(
            outbox.c.published_at.is_(None),
            outbox.c.aggregate.in_(aggregates),
            outbox.c.seq.notin_(heads),
        )
        .order_by(outbox.c.seq)
        .limit(limit)
        .with_for_update(of=outbox)
    )


class OutboxRelay:
    """Publishes committed outbox rows to JetStream: aggregates concurrently, each aggregate's facts in order.

    A fact is sent only after the ack of the previous fact of its aggregate: once published it cannot be
    taken back, so a later fact must not go out while an earlier one may still fail. Publishes stay in
    flight across aggregates: a batch's are all awaited together, and ``lanes`` batches (each its own
    transaction, claimed with ``SKIP LOCKED`` like another relay's) are under way at once, so the next
    batch is claimed and published while the previous one is still waiting for its acks and its commit.
    """

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
        publish: Publisher | None = None,
        lanes: int = 2,
    ) -> None:
        self._factory = factory
        self._lanes = max(1, lanes)
        self._publish: Publisher = publish or (lambda subject, data, headers: js.publish(subject, data, headers=headers))
        self._dsn = asyncpg_dsn(database_url)
        self._batch_size = batch_size
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self.name = name
        self._prefix = f"{namespace}." if namespace else ""
        self.published = 0

    async def _send_in_order(self, chain: list[Any]) -> tuple[list[int], tuple[int, BaseException] | None]:
        """Publish one aggregate's facts one after the other; stop at the first failure."""
        done: list[int] = []
        for row in chain:
            try:
                await self._publish(
                    self._prefix + row.subject,
                    json.dumps(row.envelope, ensure_ascii=False).encode(),
                    {"Nats-Msg-Id": str(row.id), "Content-Type": "application/cloudevents+json; charset=utf-8"},
                )
            except Exception as exc:
                return done, (row.seq, exc)
            done.append(row.seq)
        return done, None

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were published (0 when none were waiting)."""
        async with self._factory() as session, session.begin():
            rows = list((await session.execute(_heads(self._batch_size))).all())
            if not rows:
                return 0
            aggregates = {row.aggregate for row in rows if row.aggregate is not None}
            room = self._batch_size - len(rows)
            if aggregates and room > 0:
                rows += (await session.execute(_followers(aggregates, [r.seq for r in rows], room))).all()
            chains: dict[Any, list[Any]] = {}
            for row in sorted(rows, key=lambda r: r.seq):
                # a fact without a subject has no aggregate to keep in order: it travels alone
                chains.setdefault(row.aggregate if row.aggregate is not None else ("alone", row.seq), []).append(row)
            results = await asyncio.gather(*(self._send_in_order(chain) for chain in chains.values()))
            done = [seq for sent, _ in results for seq in sent]
            failed = [failure for _, failure in results if failure is not None]
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
    async def _publish_lanes(self) -> bool:
        """Publish up to ``lanes`` batches at once, each in its own transaction (they never share rows, and
        no lane takes a fact while another holds an earlier one of its aggregate); True when a lane came back
        full, so more is waiting. The publishes in flight are bounded by ``lanes`` × ``batch_size``."""
        if self._lanes == 1:
            return await self.publish_batch() == self._batch_size
        results = await asyncio.gather(*(self.publish_batch() for _ in range(self._lanes)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        return any(r == self._batch_size for r in results)

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
                    while await self._publish_lanes():
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

