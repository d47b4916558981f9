"""Idempotency keys under faults: a request killed half-way leaves no stuck key; a concurrent retry is refused
while the first runs and replays its answer after."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from registry.adapters.tables import organisations
from registry.main import create_app
from sihua_shared.db import asyncpg_dsn
from sihua_shared.embedded import free_port
from sihua_shared.settings import Settings
from sihua_shared.tables import idempotency_keys, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, service_client
from tests.pipeline.helpers import rows

pytestmark = pytest.mark.faults

ORGANISATIONS = "/api/registry/v1/organisations"


@asynccontextmanager
async def organisations_locked(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold a lock that lets reads through and makes every insert into ``organisations`` wait: a registration
    stops half-way, after its key was taken."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE organisations IN SHARE ROW EXCLUSIVE MODE")
        try:
            yield conn
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


async def _waiting_on_lock(conn: asyncpg.Connection) -> int:
    # pg_locks, not pg_stat_activity: the latter is a snapshot taken once per transaction
    found = await conn.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'organisations'::regclass")
    return int(found)


async def _other_backends(database_url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(found)
    finally:
        await conn.close()


def _served_registry(settings: Settings, port: int, data_dir: Path) -> subprocess.Popen[str]:
    """The registry api in a process of its own, so that the test can kill it like a crash would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIHUA_")}
    env.update(
        {
            "SIHUA_REGISTRY_DATABASE_URL": settings.database_url,
            "SIHUA_NATS_URL": settings.nats_url,
            "SIHUA_NATS_NAMESPACE": settings.nats_namespace,
            "SIHUA_DATA_DIR": str(data_dir),
            "SIHUA_JWKS_JSON": settings.jwks_json,
            "SIHUA_LOG_LEVEL": "WARNING",
        }
    )
    if settings.nats_credentials_dir is not None:  # the api's own NATS credentials, as the harness made them
        env["SIHUA_NATS_CREDENTIALS_DIR"] = str(settings.nats_credentials_dir)
    command = [sys.executable, "-m", "uvicorn", "registry.main:create_app", "--factory", "--host", "127.0.0.1"]
    return subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _registered(database_url: str, uscc: str) -> list[Any]:
    query = select(organisations.c.id).where(organisations.c.uscc == uscc)
    return await rows(database_url, query)


async def _facts(database_url: str) -> int:
    return int((await rows(database_url, select(func.count()).select_from(outbox)))[0][0])


async def test_a_request_killed_mid_use_case_leaves_no_stuck_key(stack: Stack, tmp_path: Path) -> None:
    settings = await stack.settings("registry")
    officer = stack.issuer.headers(["city_officer"])
    keyed = {**officer, "Idempotency-Key": "crash-1"}
    body = {"uscc": make_uscc(4101), "name": "崩溃测试企业", "kind": "enterprise", "district": "tianhe"}
    port = free_port()
    process = _served_registry(settings, port, stack.data_dir)
    try:
        base = f"http://127.0.0.1:{port}"

        async def up() -> bool:
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{base}/healthz", timeout=1)).status_code == 200
            except httpx.HTTPError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                return False

        await eventually(up, timeout=60, interval=0.2)
        async with organisations_locked(settings.database_url) as conn, httpx.AsyncClient() as client:
            request = asyncio.create_task(client.post(f"{base}{ORGANISATIONS}", json=body, headers=keyed, timeout=30))
            await eventually(lambda: _waiting_on_lock(conn))  # the key is taken; the insert waits
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            with pytest.raises(httpx.HTTPError):
                await request
        # The killed process's backend finds its client gone once the lock is free, and rolls back.
        await eventually(lambda: _none(_other_backends(settings.database_url)), timeout=30)
        assert await _registered(settings.database_url, body["uscc"]) == []
        assert await rows(settings.database_url, select(idempotency_keys)) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    async with service_client(create_app(settings)) as client:
        retried = await client.post(ORGANISATIONS, json=body, headers=keyed)
        assert retried.status_code == 201, retried.text
        again = await client.post(ORGANISATIONS, json=body, headers=keyed)
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == retried.json()
    assert [r.id for r in await _registered(settings.database_url, body["uscc"])] == [retried.json()["id"]]
    assert await _facts(settings.database_url) == 1


async def _none(count: Any) -> bool:
    return await count == 0


async def test_a_retry_while_the_first_request_runs_is_refused_then_replayed(stack: Stack) -> None:
    settings = await stack.settings("registry")
    keyed = {**stack.issuer.headers(["city_officer"]), "Idempotency-Key": "concurrent-1"}
    body = {"uscc": make_uscc(4102), "name": "并发测试企业", "kind": "enterprise", "district": "tianhe"}
    async with service_client(create_app(settings)) as client:
        async with organisations_locked(settings.database_url) as conn:
            first = asyncio.create_task(client.post(ORGANISATIONS, json=body, headers=keyed))
            await eventually(lambda: _waiting_on_lock(conn))
            second = await client.post(ORGANISATIONS, json=body, headers=keyed)
            assert second.status_code == 409 and second.json()["code"] == "request_in_progress"
        created = await first
        assert created.status_code == 201, created.text
        replayed = await client.post(ORGANISATIONS, json=body, headers=keyed)
        assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
        assert replayed.json()["id"] == created.json()["id"]
        # a use case refused (here: the USCC is taken under another key) leaves its key free for a corrected retry
        refused = await client.post(ORGANISATIONS, json=body, headers={**keyed, "Idempotency-Key": "concurrent-2"})
        assert refused.status_code == 409 and refused.json()["code"] == "uscc_taken"
        corrected = {**body, "uscc": make_uscc(4103)}
        fixed = await client.post(ORGANISATIONS, json=corrected, headers={**keyed, "Idempotency-Key": "concurrent-2"})
        assert fixed.status_code == 201, fixed.text
    assert len(await _registered(settings.database_url, body["uscc"])) == 1
    assert await _facts(settings.database_url) == 2
