"""The worker of a service: the outbox relay and the consumers, plus the operator's dead-letter commands.

    python -m <service>.worker                       run the relay and the consumers
    python -m <service>.worker dead-letters list     list dead letters not yet replayed
    python -m <service>.worker dead-letters replay ID [ID ...] | --all
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .aio import sleep_or_stop
from .bus import connect, ensure_stream
from .clock import BusinessClock
from .consumer import AfterCommit, ConsumerRunner, PermanentError
from .db import create_engine, session_factory
from .logging import configure_logging, get_logger
from .outbox import OutboxRelay
from .service import ServiceSpec
from .settings import Settings
from .tables import dead_letters

log = get_logger("sihua.worker")


@dataclass
class Worker:
    spec: ServiceSpec
    settings: Settings
    after_commit: AfterCommit | None = None
    relays: int = 1
    engine: AsyncEngine | None = None
    nats: NATS | None = None
    runners: list[ConsumerRunner] = field(default_factory=list)
    relay_list: list[OutboxRelay] = field(default_factory=list)
    # The business calendar of the worker's reactions and jobs (reminders, calls closing), carried by its sessions.
    clock: BusinessClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = BusinessClock.from_settings(self.settings)

    def _factory(self) -> async_sessionmaker[AsyncSession]:
        if self.engine is None:
            self.engine = create_engine(self.settings.database_url, pre_ping=False)
        return session_factory(self.engine, clock=self.clock)

    async def _connect(self, stop: asyncio.Event) -> NATS | None:
        while not stop.is_set():
            try:
                return await connect(
                    self.settings.nats_url,
                    name=f"{self.spec.name}-worker",
                    credentials=self.settings.nats_credentials("worker"),
                )
            except Exception as exc:
                log.warning("worker.nats_unavailable", error=repr(exc))
                await sleep_or_stop(stop, 1.0)
        return None

    def build_runners(self, nc: NATS) -> list[ConsumerRunner]:
        s = self.settings
        js = nc.jetstream()
        factory = self._factory()
        return [
            ConsumerRunner(
                factory,
                js,
                sub,
                namespace=s.nats_namespace,
                batch_size=s.consumer_batch_size,
                ack_wait=s.consumer_ack_wait_seconds,
                max_deliver=s.consumer_max_deliver,
                nak_delay=s.consumer_nak_delay_seconds,
                after_commit=self.after_commit,
            )
            for sub in self.spec.subscriptions
        ]

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        nc = await self._connect(stop)
        if nc is None:
            return
        self.nats = nc
        js = nc.jetstream()
        while not stop.is_set():  # the producer, and only it, creates and updates its own stream
            try:
                await ensure_stream(js, self.spec.name, namespace=s.nats_namespace, replicas=s.nats_stream_replicas)
                break
            except Exception as exc:
                log.warning("worker.stream_unavailable", error=repr(exc))
                await sleep_or_stop(stop, 1.0)
        factory = self._factory()
        self.relay_list = [
            OutboxRelay(
                factory,
                js,
                database_url=s.database_url,
                batch_size=s.relay_batch_size,
                poll_seconds=s.relay_poll_seconds,
                max_backoff_seconds=s.relay_max_backoff_seconds,
                name=f"{self.spec.name}-relay-{i}",
                namespace=s.nats_namespace,
            )
            for i in range(self.relays)
        ]
        self.runners = self.build_runners(nc)
        tasks = [asyncio.create_task(r.run(stop)) for r in self.relay_list]
        tasks += [asyncio.create_task(r.run(stop)) for r in self.runners]
        tasks += [asyncio.create_task(job(self, stop)) for job in self.spec.background]
        log.info("worker.started", relays=len(self.relay_list), consumers=[r.name for r in self.runners])
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await self.close()

    async def close(self) -> None:
        if self.nats is not None and not self.nats.is_closed:
            await self.nats.close()
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None


async def list_dead_letters(factory: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with factory() as session:
        rows = (
            await session.execute(
                select(dead_letters).where(dead_letters.c.replayed_at.is_(None)).order_by(dead_letters.c.id)
            )
        ).mappings().all()
    return [{k: (str(v) if k == "created_at" else v) for k, v in row.items() if k != "raw"} for row in rows]


async def replay_dead_letters(worker: Worker, ids: list[int] | None) -> list[dict[str, Any]]:
    """Apply dead letters again through their consumer's inbox; the row records the outcome."""
    nc = await connect(
        worker.settings.nats_url,
        name=f"{worker.spec.name}-replay",
        credentials=worker.settings.nats_credentials("worker"),
    )
    factory = worker._factory()
    runners = {r.name: r for r in worker.build_runners(nc)}
    results = []
    try:
        async with factory() as session:
            query = select(dead_letters).where(dead_letters.c.replayed_at.is_(None))
            if ids:
                query = query.where(dead_letters.c.id.in_(ids))
            rows = (await session.execute(query.order_by(dead_letters.c.id))).all()
        for row in rows:
            runner = runners.get(row.consumer)
            try:
                if runner is None:
                    raise PermanentError(f"no consumer {row.consumer} in this service")
                outcome = await runner.replay(row.raw)
                done = True
            except Exception as exc:
                outcome, done = f"failed: {exc!r}"[:1000], False
            async with factory() as session, session.begin():
                await session.execute(
                    update(dead_letters)
                    .where(dead_letters.c.id == row.id)
                    .values(replay_result=outcome, replayed_at=func.now() if done else None)
                )
            results.append({"id": row.id, "consumer": row.consumer, "result": outcome})
    finally:
        await nc.close()
        await worker.close()
    return results


def worker_main(spec: ServiceSpec, settings: Settings, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {spec.name}.worker")
    sub = parser.add_subparsers(dest="command")
    dl = sub.add_parser("dead-letters", help="list or replay dead letters")
    dl_sub = dl.add_subparsers(dest="action", required=True)
    dl_sub.add_parser("list")
    replay = dl_sub.add_parser("replay")
    replay.add_argument("ids", nargs="*", type=int)
    replay.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(settings.log_level, settings.log_format, service=spec.name)
    worker = Worker(spec, settings)
    if args.command == "dead-letters":
        if args.action == "list":
            rows = asyncio.run(_list_and_close(worker))
            print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
            return 0
        if not args.ids and not args.all:
            parser.error("name dead-letter ids or pass --all")
        results = asyncio.run(replay_dead_letters(worker, None if args.all else args.ids))
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0 if all(not str(r["result"]).startswith("failed") for r in results) else 1
    asyncio.run(_run_until_signal(worker))
    return 0


async def _list_and_close(worker: Worker) -> list[dict[str, Any]]:
    try:
        return await list_dead_letters(worker._factory())
    finally:
        await worker.close()


async def _run_until_signal(worker: Worker) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await worker.run(stop)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run python -m <service>.worker")
