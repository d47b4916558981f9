"""Real servers for tests: the embedded PostgreSQL and NATS by default, or the servers named by
``SIHUA_TEST_DATABASE_URL`` (an admin URL) and ``SIHUA_TEST_NATS_URL``.

Each service's schema is migrated once into a template database; each test gets fresh databases
cloned from the templates and a NATS namespace of its own, so tests never see each other's data.

The embedded NATS runs with authentication on (``BusAuth``). Each test's namespace gets its own users —
every service's api and worker, with the exact-name permissions production uses (``nats_auth``, given
the namespace) — added to the server's generated configuration and applied with a reload, and removed
when the test ends; so a test's processes can touch only their own namespace's streams and consumers.
Test helpers that inspect or forge traffic connect as the harness's admin user. An external NATS
(``SIHUA_TEST_NATS_URL``, e.g. CI's machine server) has no authentication: there everything connects
anonymously, and the authentication tests start an embedded server of their own (``secured_servers``).
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from nats.aio.client import Client as NATS
from sqlalchemy.engine import make_url

from .. import nats_auth
from ..bus import Credentials, connect, ensure_stream
from ..db import asyncpg_dsn
from ..embedded import EmbeddedNats, EmbeddedNatsCluster, EmbeddedPostgres
from ..migrate import upgrade
from ..nats_auth import Permissions
from ..service import ServiceSpec
from ..settings import SERVICES, Settings
from ..worker import Worker
from .tokens import TestIssuer

ADMIN = "harness-admin"


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
class BusAuth:
    """The generated authorization of the embedded NATS servers: users come and go with the tests."""

    folder: Path
    nats: list[EmbeddedNats] = field(default_factory=list)
    users: dict[str, tuple[str, Permissions]] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path) -> BusAuth:
        auth = cls(folder)
        seed = nats_auth.load_or_create_seed(folder, ADMIN)
        auth.users[ADMIN] = (nats_auth.public_key(seed), Permissions((">",), (">",)))
        auth._write()
        return auth

    @property
    def file(self) -> Path:
        return self.folder / nats_auth.AUTH_FILE

    @property
    def admin(self) -> Credentials:
        return Credentials(ADMIN, nats_auth.seed_path(self.folder, ADMIN))

    def start_server(self, folder: Path, port: int | None = None) -> EmbeddedNats:
        """An embedded server reading this authorization (and reloaded when it changes)."""
        server = EmbeddedNats(folder, port, auth_file=self.file).start()
        self.nats.append(server)
        return server

    def _write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file.write_text(nats_auth.authorization_block(self.users))

    def _reload(self) -> None:
        self._write()
        for server in self.nats:
            server.reload()

    async def add(self, users: dict[str, Permissions], seeds: Path) -> dict[str, Credentials]:
        """Add users (their seeds written into ``seeds``), reload, and wait until the servers know them."""
        added = {}
        for name, permissions in users.items():
            seed = nats_auth.new_seed()
            path = nats_auth.write_seed(seeds, name, seed)
            self.users[name] = (nats_auth.public_key(seed), permissions)
            added[name] = Credentials(name, path)
        self._reload()  # returns once every server has applied it
        return added

    def remove(self, names: list[str]) -> None:
        for name in names:
            self.users.pop(name, None)
        self._reload()


@dataclass
class Servers:
    """The PostgreSQL and NATS the tests run against, and what the run created on them."""

    admin_url: str
    nats_url: str
    work_dir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    embedded_pg: EmbeddedPostgres | None = None
    embedded_nats: EmbeddedNats | None = None
    bus_auth: BusAuth | None = None
    created: list[str] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)
    issuer: TestIssuer = field(default_factory=TestIssuer)

    @classmethod
    def start(cls, work_dir: Path, *, secure: bool = True) -> Servers:
        admin = os.environ.get("SIHUA_TEST_DATABASE_URL", "")
        nats_url = os.environ.get("SIHUA_TEST_NATS_URL", "")
        pg = nats = auth = None
        if not admin:
            pg = EmbeddedPostgres(work_dir / "postgres").start()
            admin = pg.url("postgres")
        elif admin.startswith("postgresql://"):
            admin = admin.replace("postgresql://", "postgresql+asyncpg://", 1)
        if not nats_url:
            if secure:
                auth = BusAuth.create(work_dir / "nats-auth")
                nats = auth.start_server(work_dir / "nats")
            else:
                nats = EmbeddedNats(work_dir / "nats").start()
            nats_url = nats.url
        return cls(admin, nats_url, work_dir, embedded_pg=pg, embedded_nats=nats, bus_auth=auth)

    def with_own_secured_nats(self, folder: Path) -> Servers:
        """These servers, but with an embedded NATS of their own with authentication on (for the
        authentication tests when the shared NATS has none). Stop it with ``stop_nats``."""
        auth = BusAuth.create(folder / "nats-auth")
        server = auth.start_server(folder / "nats")
        return dataclasses.replace(self, nats_url=server.url, embedded_nats=server, bus_auth=auth)

    def stop_nats(self) -> None:
        for server in self.bus_auth.nats if self.bus_auth else [self.embedded_nats]:
            if server is not None:
                server.stop()

    def own_nats(self, folder: Path) -> EmbeddedNats:
        """A NATS server for one test (which may stop and restart it), with the same users as the others."""
        if self.bus_auth is not None:
            return self.bus_auth.start_server(folder)
        return EmbeddedNats(folder).start()

    def own_cluster(self, folder: Path, size: int = 3) -> EmbeddedNatsCluster:
        """A three-node NATS cluster on loopback for one test (which may stop its nodes), with the same
        users as the other servers; its ``url`` names every node. Streams on it take their replicas from
        the producers' settings (``nats_stream_replicas``)."""
        auth_file = self.bus_auth.file if self.bus_auth is not None else None
        cluster = EmbeddedNatsCluster(folder, size, auth_file=auth_file)
        if self.bus_auth is not None:
            self.bus_auth.nats.extend(cluster.nodes)  # reloaded with the others as tests add users
        return cluster.start()

    async def connect(self, name: str, url: str | None = None) -> NATS:
        """A connection for test helpers, which inspect and forge traffic: the admin user."""
        credentials = self.bus_auth.admin if self.bus_auth is not None else None
        return await connect(url or self.nats_url, name=name, credentials=credentials)

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
        self.stop_nats()
        if self.embedded_pg is not None:
            self.embedded_pg.stop(mode="immediate")


@dataclass
class Stack:
    """One test's view: fresh databases per service, a NATS namespace, settings and token minting."""

    servers: Servers
    namespace: str
    data_dir: Path
    urls: dict[str, str] = field(default_factory=dict)
    nats_users: list[str] = field(default_factory=list)

    @property
    def issuer(self) -> TestIssuer:
        return self.servers.issuer

    @property
    def nats_credentials_dir(self) -> Path:
        return self.data_dir / "nats"

    async def open(self) -> None:
        """Give this test's namespace its NATS users: every service's api and worker."""
        if self.servers.bus_auth is not None:
            users = nats_auth.service_users(nats_auth.service_specs(), self.namespace)
            added = await self.servers.bus_auth.add(users, self.nats_credentials_dir)
            self.nats_users += list(added)

    async def add_agency(self, name: str, consumers: list[nats_auth.AgencyConsumer]) -> Credentials | None:
        """Read-only credentials for an agency, as ``nats_auth add-agency`` makes them (None without auth)."""
        if self.servers.bus_auth is None:
            return None
        user = f"{self.namespace}-{nats_auth.agency_user(name)}"
        added = await self.servers.bus_auth.add(
            {user: nats_auth.agency_permissions(user, consumers)}, self.nats_credentials_dir
        )
        self.nats_users.append(user)
        return added[user]

    async def create_streams(self, *producers: str) -> None:
        """Create producers' streams in this namespace, standing in for their workers (a consumer's
        worker waits for its producer's stream and never creates it)."""
        nc = await self.servers.connect("test-streams")
        try:
            for producer in producers:
                await ensure_stream(nc.jetstream(), producer, namespace=self.namespace)
        finally:
            await nc.close()

    def close(self) -> None:
        if self.servers.bus_auth is not None and self.nats_users:
            self.servers.bus_auth.remove(self.nats_users)
            self.nats_users.clear()

    async def settings(self, service: str, **overrides: Any) -> Settings:
        if service not in self.urls:
            self.urls[service] = await self.servers.fresh_database(service)
        values: dict[str, Any] = {
            "service": service,
            "database_url": self.urls[service],
            "nats_url": self.servers.nats_url,
            "nats_namespace": self.namespace,
            "data_dir": self.data_dir,
            "nats_credentials_dir": self.nats_credentials_dir if self.servers.bus_auth is not None else None,
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


async def delete_namespace_streams(servers: Servers, namespace: str) -> None:
    nc = await servers.connect("test-cleanup")
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
