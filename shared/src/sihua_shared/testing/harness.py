"""Real servers for tests: the embedded PostgreSQL and NATS by default, or the servers named by
``SIHUA_TEST_DATABASE_URL`` (an admin URL) and ``SIHUA_TEST_NATS_URL``.

Each service's schema is migrated once into a template database; each test gets fresh databases
cloned from the templates and a NATS namespace of its own, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from ..db import asyncpg_dsn
from ..embedded import EmbeddedNats, EmbeddedPostgres
from ..migrate import upgrade
from ..service import ServiceSpec
from ..settings import SERVICES, Settings
from ..worker import Worker
from .tokens import TestIssuer


def _in_thread(fn: Callable[[], Any]) -> None:
    """Run blocking setup (Alembic runs its own event loop) outside the test's event loop."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@dataclass
class Servers:
    """The PostgreSQL and NATS the tests run against, and what the run created on them."""

    admin_url: str
    nats_url: str
    work_dir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    embedded_pg: EmbeddedPostgres | None = None
    embedded_nats: EmbeddedNats | None = None
    created: list[str] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)
    issuer: TestIssuer = field(default_factory=TestIssuer)

    @classmethod
    def start(cls, work_dir: Path) -> Servers:
        admin = os.environ.get("SIHUA_TEST_DATABASE_URL", "")
        nats_url = os.environ.get("SIHUA_TEST_NATS_URL", "")
        pg = nats = None
        if not admin:
            pg = EmbeddedPostgres(work_dir / "postgres").start()
            admin = pg.url("postgres")
        elif admin.startswith("postgresql://"):
            admin = admin.replace("postgresql://", "postgresql+asyncpg://", 1)
        if not nats_url:
            nats = EmbeddedNats(work_dir / "nats").start()
            nats_url = nats.url
        return cls(admin, nats_url, work_dir, embedded_pg=pg, embedded_nats=nats)

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.admin_url))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def prepare_templates(self, services: tuple[str, ...] = SERVICES) -> None:
        for service in services:
            name = f"sihua_t{self.run_id}_{service}_tmpl"
            statement = f'CREATE DATABASE "{name}"'
            _in_thread(partial(asyncio.run, self._admin(statement)))
            self.created.append(name)
            _in_thread(partial(upgrade, service, self.url_for(name)))
            self.templates[service] = name

    async def empty_database(self, label: str) -> str:
        """A database with no schema at all (for migration tests), dropped with the others at the end."""
        name = f"sihua_t{self.run_id}_{label}_{uuid.uuid4().hex[:8]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url_for(name)

    async def fresh_database(self, service: str) -> str:
        name = f"sihua_t{self.run_id}_{service}_{uuid.uuid4().hex[:8]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.templates[service]}"')
        self.created.append(name)
        return self.url_for(name)

    def stop(self) -> None:
        async def drop() -> None:
            for name in reversed(self.created):
                with suppress(Exception):
                    await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        if self.embedded_pg is None:
            _in_thread(lambda: asyncio.run(drop()))
        if self.embedded_nats is not None:
            self.embedded_nats.stop()
        if self.embedded_pg is not None:
            self.embedded_pg.stop()


@dataclass
class Stack:
    """One test's view: fresh databases per service, a NATS namespace, settings and token minting."""

    servers: Servers
    namespace: str
    data_dir: Path
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> TestIssuer:
        return self.servers.issuer

    async def settings(self, service: str, **overrides: Any) -> Settings:
        if service not in self.urls:
            self.urls[service] = await self.servers.fresh_database(service)
        values: dict[str, Any] = {
            "service": service,
            "database_url": self.urls[service],
            "nats_url": self.servers.nats_url,
            "nats_namespace": self.namespace,
            "data_dir": self.data_dir,
            "jwks_json": self.issuer.jwks_json,
            "log_level": "WARNING",
            "relay_poll_seconds": 0.5,
            "consumer_ack_wait_seconds": 5.0,
            "consumer_nak_delay_seconds": 0.2,
        }
        values.update(overrides)
        return Settings(**values)


@asynccontextmanager
async def service_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with its lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def served_app(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on a free loopback port; yields its base URL."""
    import uvicorn

    from ..embedded import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _started(server), timeout=20, interval=0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: Any) -> bool:
    return bool(server.started)


@asynccontextmanager
async def running_worker(
    spec: ServiceSpec, settings: Settings, **kwargs: Any
) -> AsyncIterator[Worker]:
    """A service's worker running as a task until the block ends."""
    worker = Worker(spec, settings, **kwargs)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=15)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()


async def delete_namespace_streams(nats_url: str, namespace: str) -> None:
    from ..bus import connect

    nc = await connect(nats_url, name="test-cleanup")
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(f"{namespace.upper()}_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


async def eventually(check: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll an async ``check`` until it returns something truthy; fail with its last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        last = await check()
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
        await asyncio.sleep(interval)
