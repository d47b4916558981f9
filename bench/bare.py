"""The baselines of ``bench.http``: bare endpoints on the same database, served like the services (one uvicorn
worker): ``uvicorn bench.bare:create_app --factory`` with ``SIHUA_BENCH_DATABASE_URL`` (a SQLAlchemy asyncpg URL of
the registry's database). No auth, no middleware, no validation beyond FastAPI's own.

- ``GET /json``: a JSON document, no I/O;
- ``GET /asyncpg/one/{id}``: one organisation row read with asyncpg from a pool (autocommit, one round trip);
- ``GET /core/one/{id}``: the same row read with SQLAlchemy Core in a transaction (BEGIN, SELECT, COMMIT);
- ``GET /asyncpg/page``: 50 organisations (``ORDER BY name, id LIMIT 50``) with asyncpg;
- ``POST /insert``: the JSON body inserted as one row with asyncpg (autocommit).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from registry.adapters.tables import organisations
from sihua_shared.db import asyncpg_dsn

INSERTS = "bench_inserts"
CREATE_INSERTS = (
    f"CREATE TABLE IF NOT EXISTS {INSERTS} (id uuid PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


def _row(record: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dict(record).items()}


def create_app() -> FastAPI:
    url = os.environ["SIHUA_BENCH_DATABASE_URL"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(asyncpg_dsn(url), min_size=2, max_size=10)
        # A plain engine, not the services' (sihua_shared.db), so that the baseline stays put when theirs changes.
        state["engine"] = create_async_engine(url, pool_size=20, max_overflow=10)
        yield
        await state["pool"].close()
        await state["engine"].dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.get("/json")
    async def bare_json() -> dict[str, Any]:
        return {"status": "ok", "service": "bare"}

    @app.get("/asyncpg/one/{org_id}")
    async def asyncpg_one(org_id: str) -> dict[str, Any]:
        record = await state["pool"].fetchrow("SELECT * FROM organisations WHERE id = $1", org_id)
        return _row(record)

    @app.get("/core/one/{org_id}")
    async def core_one(org_id: str) -> dict[str, Any]:
        async with state["engine"].begin() as conn:
            found = (await conn.execute(select(organisations).where(organisations.c.id == org_id))).mappings().one()
        return _row(found)

    @app.get("/asyncpg/page")
    async def asyncpg_page() -> list[dict[str, Any]]:
        records = await state["pool"].fetch("SELECT * FROM organisations ORDER BY name, id LIMIT 50")
        return [_row(r) for r in records]

    @app.post("/insert", status_code=201)
    async def insert(request: Request) -> dict[str, Any]:
        body = await request.body()
        new = uuid.uuid4()
        await state["pool"].execute(f"INSERT INTO {INSERTS} (id, body) VALUES ($1, $2::jsonb)", new, body.decode())
        return {"id": str(new)}

    return app
