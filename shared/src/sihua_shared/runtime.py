"""The per-process resources of a service, built in the lifespan, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import Request
from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .auth import TokenVerifier
from .bus import connect
from .db import create_engine, session_factory
from .http import Idempotency, keyed_session
from .jurisdiction import Jurisdiction, load_jurisdiction
from .logging import get_logger
from .settings import Settings
from .storage import FileStore, build_file_store

log = get_logger("sihua.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    factory: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    idempotency: Idempotency
    files: FileStore
    nats: NATS | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, *, local_jwks: list[dict[str, object]] | None = None) -> Runtime:
        engine = create_engine(settings.database_url)
        factory = session_factory(engine)
        verifier = TokenVerifier(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks_url=settings.jwks_url,
            jwks_json=settings.jwks_json,
            local_keys=local_jwks,  # type: ignore[arg-type]
        )
        return cls(
            settings=settings,
            engine=engine,
            factory=factory,
            verifier=verifier,
            idempotency=Idempotency(factory),
            files=build_file_store(settings),
        )

    @property
    def jurisdiction(self) -> Jurisdiction:
        """The city's configuration (districts, sectors, titles, calendar…), loaded from its data file."""
        return load_jurisdiction(self.settings.jurisdiction)

    @asynccontextmanager
    async def uow(self) -> AsyncIterator[AsyncSession]:
        """One transaction, committed when the block ends cleanly.

        Under an ``Idempotency-Key`` the block joins the transaction holding the key, as a savepoint: it
        rolls back on its own like a transaction would, and commits with the key and the stored answer.
        """
        keyed = keyed_session()
        if keyed is not None:
            async with keyed.begin_nested():
                yield keyed
            return
        async with self.factory() as session, session.begin():
            yield session

    def connect_nats_in_background(self, client_name: str) -> None:
        """The api uses NATS only for readiness details and lag metrics: never wait for it."""

        async def _connect() -> None:
            while self.nats is None:
                try:
                    self.nats = await connect(self.settings.nats_url, name=client_name)
                except Exception as exc:
                    log.warning("nats.unavailable", error=repr(exc))
                    await asyncio.sleep(2.0)

        self._tasks.append(asyncio.create_task(_connect()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.nats is not None and not self.nats.is_closed:
            await self.nats.close()
        await self.engine.dispose()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
