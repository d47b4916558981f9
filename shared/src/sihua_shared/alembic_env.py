"""The body of every service's Alembic ``env.py``: async migrations over asyncpg."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from .tables import common_metadata


def _url(service: str) -> str:
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        f"SIHUA_{service.upper()}_DATABASE_URL", os.environ.get("SIHUA_DATABASE_URL", "")
    )
    if not url:
        raise SystemExit(f"set SIHUA_{service.upper()}_DATABASE_URL to migrate {service}")
    return url


def run_migrations(service: str, service_metadata: MetaData) -> None:
    """Run the service's history; autogenerate and the schema tests compare against the shared tables and
    the service's own (its read models included)."""
    url = _url(service)
    target_metadata = [common_metadata, service_metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def _run(connection: Connection) -> None:
        # server defaults too: a column default a revision forgot is a schema difference like any other
        context.configure(connection=connection, target_metadata=target_metadata, compare_server_default=True)
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
        await engine.dispose()

    existing = context.config.attributes.get("connection")
    if existing is not None:
        _run(existing)
        return
    asyncio.run(_main())
