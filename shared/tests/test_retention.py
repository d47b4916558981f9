"""Retention: the worker prunes published outbox rows, inbox rows and idempotency keys past the retention, in
bounded batches, keeps recent and unpublished rows, and counts what it pruned in /metrics."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from pydantic import ValidationError

from catalog.main import create_app
from sihua_shared.db import asyncpg_dsn, create_engine, session_factory
from sihua_shared.retention import prune
from sihua_shared.settings import Settings
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import spec_of

DAY = 24 * 3600.0
OLD, RECENT = "now() - interval '10 days'", "now() - interval '1 hour'"


async def _seed(database_url: str, *, old: int, recent: int) -> dict[str, set[str]]:
    """Rows of every kind, ``old`` of them past a seven-day retention; returns the ids that must stay."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    kept: dict[str, set[str]] = {"outbox": set(), "processed_messages": set(), "idempotency_keys": set()}
    try:
        for n in range(old + recent):
            at = OLD if n < old else RECENT
            ident = str(uuid.uuid4())
            envelope = f'{{"id": "{ident}", "subject": "aggregate-{n}"}}'
            await conn.execute(
                "INSERT INTO outbox (id, type, subject, envelope, created_at, published_at)"
                f" VALUES ($1, 't', 's', $2::jsonb, {at}, {at})",
                uuid.UUID(ident), envelope,
            )
            await conn.execute(
                f"INSERT INTO processed_messages (consumer, event_id, event_type, processed_at) VALUES ('c', $1, 't', {at})", ident
            )
            await conn.execute(
                "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, created_at)"
                f" VALUES ('s', $1, 'h', 201, {at})",
                ident,
            )
            if n >= old:
                for ids in kept.values():
                    ids.add(ident)
        # an old fact never published is kept whatever its age: it still has to go out
        waiting = uuid.uuid4()
        await conn.execute(
            f"INSERT INTO outbox (id, type, subject, envelope, created_at) VALUES ($1, 't', 's', '{{}}', {OLD})", waiting
        )
        kept["outbox"].add(str(waiting))
    finally:
        await conn.close()
    return kept


async def _remaining(database_url: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return {
            "outbox": {str(r[0]) for r in await conn.fetch("SELECT id FROM outbox")},
            "processed_messages": {r[0] for r in await conn.fetch("SELECT event_id FROM processed_messages")},
            "idempotency_keys": {r[0] for r in await conn.fetch("SELECT key FROM idempotency_keys")},
        }
    finally:
        await conn.close()


async def test_pruning_removes_old_rows_in_batches_and_keeps_recent_and_unpublished_ones(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    kept = await _seed(settings.database_url, old=7, recent=3)
    engine = create_engine(settings.database_url)
    try:
        counts = await prune(session_factory(engine), retention_seconds=7 * DAY, batch_size=3)  # 7 rows: 3 + 3 + 1
        assert counts == {"outbox": 7, "processed_messages": 7, "idempotency_keys": 7}
        assert await _remaining(settings.database_url) == kept
        assert await prune(session_factory(engine), retention_seconds=7 * DAY, batch_size=3) == dict.fromkeys(counts, 0)
        # a shorter retention reaches the recent rows too; the unpublished fact still stays
        assert (await prune(session_factory(engine), retention_seconds=600, batch_size=100))["outbox"] == 3
    finally:
        await engine.dispose()
    async with service_client(create_app(settings)) as client:
        metrics = (await client.get("/metrics")).text
    assert 'sihua_pruned_rows_total{service="catalog",table="outbox"} 10.0' in metrics
    assert 'sihua_pruned_rows_total{service="catalog",table="processed_messages"} 10.0' in metrics
    assert 'sihua_retention_overdue_rows{service="catalog",table="idempotency_keys"} 0.0' in metrics
    assert 'sihua_retention_last_run_timestamp_seconds{service="catalog",table="outbox"}' in metrics


async def test_the_worker_prunes_on_its_own_and_metrics_show_what_waits(stack: Stack) -> None:
    settings = await stack.settings("catalog", prune_interval_seconds=0.2, prune_batch_size=2)
    kept = await _seed(settings.database_url, old=5, recent=2)
    async with service_client(create_app(settings)) as client:
        metrics = (await client.get("/metrics")).text
        assert 'sihua_retention_overdue_rows{service="catalog",table="processed_messages"} 5.0' in metrics
        assert 'sihua_pruned_rows_total{service="catalog",table="outbox"} 0.0' in metrics
        async with running_worker(spec_of("catalog"), settings):

            async def pruned() -> bool:
                return await _remaining(settings.database_url) == kept

            await eventually(pruned, timeout=30)
        metrics = (await client.get("/metrics")).text
    assert 'sihua_pruned_rows_total{service="catalog",table="idempotency_keys"} 5.0' in metrics
    assert 'sihua_retention_overdue_rows{service="catalog",table="processed_messages"} 0.0' in metrics


@pytest.mark.parametrize("seconds", [0, 60, 120])
def test_the_retention_must_outlive_the_jetstream_duplicate_window(seconds: float) -> None:
    with pytest.raises(ValidationError, match="duplicate window"):
        Settings(retention_seconds=seconds)
    assert Settings(retention_seconds=121).retention_seconds == 121
