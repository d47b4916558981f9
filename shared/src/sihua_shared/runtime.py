"""The per-process resources of a service, built in the lifespan, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from fastapi import Depends, Request
from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .auth import TokenVerifier
from .bus import connect
from .clock import BusinessClock
from .db import create_engine, session_factory
from .http import Idempotency, keyed_session
from .jurisdiction import Jurisdiction, load_jurisdiction
from .logging import get_logger
from .revocation import DeactivatedAccounts
from .settings import Settings
from .storage import FileStore, build_file_store, files_of_failed_transactions_removed

log = get_logger("sihua.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    factory: async_sessionmaker[AsyncSession]
    # Sessions on autocommit connections, for reads (``Runtime.read``).
    read_factory: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    idempotency: Idempotency
    files: FileStore
    clock: BusinessClock
    nats: NATS | None = None
    # The accounts whose tokens this api refuses, refreshed in the background (revocation.py).
    deactivated: DeactivatedAccounts = field(default_factory=DeactivatedAccounts)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        local_jwks: list[dict[str, object]] | None = None,
        clock: BusinessClock | None = None,
    ) -> Runtime:
        clock = clock or BusinessClock.from_settings(settings)
        engine = create_engine(settings.database_url)
        factory = session_factory(engine, clock=clock)
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
            read_factory=session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"), clock=clock),
            verifier=verifier,
            idempotency=Idempotency(factory),
            files=build_file_store(settings),
            clock=clock,
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
            async with files_of_failed_transactions_removed(keyed), keyed.begin_nested():
                yield keyed
            return
        async with self.factory() as session, files_of_failed_transactions_removed(session), session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for a route that only reads: no transaction (autocommit, each statement sees the data as of
        its own start), so a read is one round trip per statement instead of BEGIN, the statements and COMMIT.
        Nothing written through it is kept together: a use case that writes takes ``uow``. Under an
        ``Idempotency-Key`` the read joins the keyed transaction, like ``uow``."""
        keyed = keyed_session()
        if keyed is not None:
            yield keyed
            return
        async with self.read_factory() as session:
            yield session

    def connect_nats_in_background(self, client_name: str) -> None:
        """The api uses NATS only for readiness details and lag metrics: never wait for it."""

        async def _connect() -> None:
            while self.nats is None:
                try:
                    self.nats = await connect(
                        self.settings.nats_url, name=client_name, credentials=self.settings.nats_credentials("api")
                    )
                except Exception as exc:
                    log.warning("nats.unavailable", error=repr(exc))
                    await asyncio.sleep(2.0)

        self._tasks.append(asyncio.create_task(_connect()))

    def start_background(self, job: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """Run ``job(stop)`` for the life of the process; ``close`` stops it."""

        async def run() -> None:
            await job(self._stop)

        self._tasks.append(asyncio.create_task(run()))

    async def close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        if self.nats is not None and not self.nats.is_closed:
            await self.nats.close()
        await self.engine.dispose()


# The dependencies are coroutines: FastAPI runs a plain function in a worker thread, which costs a thread hand-off
# (and the GIL's contention) on every request for what is an attribute lookup.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def business_day(runtime: Runtime = Depends(get_runtime)) -> date:
    """Today's business date (the runtime's business clock, in the jurisdiction's time zone): intake windows, due
    dates, publicity periods, decisions and title validity are business dates."""
    return runtime.clock.today()
