"""Retention of the delivery bookkeeping: published outbox rows, inbox rows and spent idempotency keys.

The worker prunes rows older than the retention (``SIHUA_RETENTION_SECONDS``), a bounded batch per
transaction so that pruning never holds long locks, and counts what it pruned in ``pruned_rows`` for the
api's ``/metrics``. The retention is longer than the JetStream duplicate window, so that a fact published
again is caught by JetStream or, after the window, by the inbox that still remembers it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .aio import sleep_or_stop
from .logging import get_logger
from .tables import idempotency_keys, outbox, processed_messages, pruned_rows

log = get_logger("sihua.retention")


@dataclass(frozen=True)
class Kept:
    """A table of bookkeeping and the moment after which one of its rows is no longer needed."""

    table: Table
    since: Column[Any]

    @property
    def name(self) -> str:
        return self.table.name

    def overdue(self, retention_seconds: float) -> ColumnElement[bool]:
        # An unpublished outbox row has no publication time, so it never compares older: it is kept.
        return self.since < func.now() - timedelta(seconds=retention_seconds)


KEPT = (
    Kept(outbox, outbox.c.published_at),
    Kept(processed_messages, processed_messages.c.processed_at),
    # A key's answer is replayed for the retention after the first request, then the key may be used afresh.
    Kept(idempotency_keys, idempotency_keys.c.created_at),
)


async def _prune_batch(session: AsyncSession, kept: Kept, retention_seconds: float, batch_size: int) -> int:
    key = tuple_(*kept.table.primary_key.columns)
    chosen = (
        select(*kept.table.primary_key.columns)
        .where(kept.overdue(retention_seconds))
        .limit(batch_size)
        .with_for_update(skip_locked=True)  # another worker replica prunes the rest
    )
    result: Any = await session.execute(delete(kept.table).where(key.in_(chosen)))
    return int(result.rowcount or 0)


async def _count(session: AsyncSession, table: str, pruned: int) -> None:
    statement = pg_insert(pruned_rows).values(table_name=table, pruned=pruned, last_run_at=func.now())
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["table_name"],
            set_={"pruned": pruned_rows.c.pruned + statement.excluded.pruned, "last_run_at": func.now()},
        )
    )


async def prune(
    factory: async_sessionmaker[AsyncSession], *, retention_seconds: float, batch_size: int
) -> dict[str, int]:
    """Prune every table down to its retention, one bounded batch per transaction; returns the counts."""
    counts: dict[str, int] = {}
    for kept in KEPT:
        total = 0
        while True:
            async with factory() as session, session.begin():
                removed = await _prune_batch(session, kept, retention_seconds, batch_size)
                await _count(session, kept.name, removed)
            total += removed
            if removed < batch_size:
                break
            await asyncio.sleep(0)  # let the relay and the consumers in between batches
        counts[kept.name] = total
    return counts


async def retention_figures(session: AsyncSession, retention_seconds: float) -> dict[str, dict[str, Any]]:
    """Per table: rows pruned so far, when the job last ran, and rows past the retention still waiting."""
    done = {row.table_name: row for row in (await session.execute(select(pruned_rows))).all()}
    figures: dict[str, dict[str, Any]] = {}
    for kept in KEPT:
        overdue = select(func.count()).select_from(kept.table).where(kept.overdue(retention_seconds))
        row = done.get(kept.name)
        figures[kept.name] = {
            "pruned": int(row.pruned) if row else 0,
            "last_run_at": row.last_run_at if row else None,
            "overdue": int((await session.execute(overdue)).scalar_one()),
        }
    return figures


async def run_pruner(
    factory: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    retention_seconds: float,
    batch_size: int,
    interval_seconds: float,
) -> None:
    """The worker's retention job: prune, then wait for the interval; database trouble waits for the next."""
    while not stop.is_set():
        try:
            counts = await prune(factory, retention_seconds=retention_seconds, batch_size=batch_size)
            if any(counts.values()):
                log.info("retention.pruned", **counts)
        except Exception as exc:
            log.warning("retention.prune_failed", error=repr(exc))
        await sleep_or_stop(stop, interval_seconds)
