"""The backbone soak under faults: ``python -m bench.soak`` (``make bench-soak``; not part of the test suite).

Commits ``--events`` organisation facts (100,000 by default) to the registry's outbox while the registry's
worker relays them and the workers of diagnosis, catalog, funding and evaluation — real ``python -m
<service>.worker`` processes — apply them to their read models. Along the way:

- duplicates: copies of facts already sent are published again under new message ids (JetStream's own
  de-duplication cannot hide them; the consumers' inboxes must);
- poison: undecodable messages, payloads that do not match their contract and an unknown major version are
  mixed in; each consumer must dead-letter exactly these;
- NATS is killed with SIGKILL and restarted on the same port and store (the time to the first reaction
  after the restart is measured);
- the registry's worker (the relay) is killed with SIGKILL mid-flow and restarted;
- a consumer's worker (diagnosis) is killed with SIGKILL, a backlog of 10,000 facts builds up on its durable
  consumer, and the time it takes to drain after a restart is measured.

Then it counts, per consuming service: facts lost (organisations without their fact), effects applied twice
(``facts_applied`` > 1), and dead letters (which must be exactly the poison messages). ``--events`` makes a
quicker run; the backlog is then at most a fifth of the events. Figures are written to
``bench/results/soak-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS

from bench.backbone import organisation
from sihua_shared.bus import connect
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED
from sihua_shared.db import asyncpg_dsn, create_engine, session_factory
from sihua_shared.embedded import create_databases
from sihua_shared.migrate import upgrade
from sihua_shared.outbox import record_events
from sihua_shared.testing.harness import Servers

CONSUMERS = ("diagnosis", "catalog", "funding", "evaluation")
RESULTS = Path(__file__).resolve().parent / "results"
SUBJECT = "sihua.registry.organisation.registered"
TARGET_FIRST_REACTION_S = 5.0
TARGET_DRAIN_S = 20.0


def say(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


class Workers:
    """The services' worker processes, started and killed by name."""

    def __init__(self, urls: dict[str, str], nats_url: str, data_dir: Path, logs: Path) -> None:
        self.urls, self.nats_url, self.data_dir, self.logs = urls, nats_url, data_dir, logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, service: str) -> None:
        env = {
            **os.environ,
            f"SIHUA_{service.upper()}_DATABASE_URL": self.urls[service],
            "SIHUA_NATS_URL": self.nats_url,
            "SIHUA_DATA_DIR": str(self.data_dir),
            "SIHUA_LOG_LEVEL": "WARNING",
            "SIHUA_RELAY_POLL_SECONDS": "0.5",
            "SIHUA_RELAY_MAX_BACKOFF_SECONDS": "1.0",
            "SIHUA_CONSUMER_NAK_DELAY_SECONDS": "0.2",
            "SIHUA_CONSUMER_ACK_WAIT_SECONDS": "10",
        }
        log = open(self.logs / f"{service}-worker.log", "ab")  # noqa: SIM115 - the child holds it
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"{service}.worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def kill(self, service: str) -> None:
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


class Soak:
    def __init__(self, args: argparse.Namespace, servers: Servers, urls: dict[str, str], workers: Workers) -> None:
        self.args, self.servers, self.urls, self.workers = args, servers, urls, workers
        self.engine = create_engine(urls["registry"])
        self.factory = session_factory(self.engine)
        self.produced = 0
        self.poison = 0
        self.duplicates = 0
        self.figures: dict[str, Any] = {}
        self.conns: dict[str, asyncpg.Connection] = {}

    async def open(self) -> None:
        for service, url in self.urls.items():
            self.conns[service] = await asyncpg.connect(asyncpg_dsn(url))

    async def close(self) -> None:
        for conn in self.conns.values():
            await conn.close()
        await self.engine.dispose()

    # ------------------------------------------------------------------ producing and reading

    async def produce(self, count: int, *, rate: float | None) -> None:
        """Commit ``count`` facts, ``--per-tx`` per transaction, at ``rate`` events/s (None: as fast as it can)."""
        start, done = time.perf_counter(), 0
        while done < count:
            n = min(self.args.per_tx, count - done)
            payloads = [organisation() for _ in range(n)]
            async with self.factory() as session, session.begin():
                await record_events(session, [(ORGANISATION_REGISTERED, p, p.organisation_id, None) for p in payloads])
            done += n
            self.produced += n
            if rate:
                ahead = start + done / rate - time.perf_counter()
                if ahead > 0:
                    await asyncio.sleep(ahead)

    async def applied(self, service: str) -> int:
        return int(await self.conns[service].fetchval("SELECT count(*) FROM known_organisations"))

    async def backlog(self) -> int:
        return int(await self.conns["registry"].fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    async def caught_up(self, services: tuple[str, ...] = CONSUMERS, timeout: float = 600.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all([await self.applied(s) >= self.produced for s in services]):
                return True
            await asyncio.sleep(0.2)
        return False

    async def nats(self) -> NATS:
        return await connect(self.servers.nats_url, name="soak-injector")

    # ------------------------------------------------------------------ faults

    async def inject_duplicates(self, count: int) -> None:
        rows = await self.conns["registry"].fetch(
            "SELECT subject, envelope::text AS envelope FROM outbox WHERE published_at IS NOT NULL "
            "ORDER BY random() LIMIT $1",
            count,
        )
        nc = await self.nats()
        try:
            js = nc.jetstream()
            for row in rows:
                await js.publish(row["subject"], row["envelope"].encode(), headers={"Nats-Msg-Id": str(uuid.uuid4())})
        finally:
            await nc.close()
        self.duplicates += len(rows)
        say(f"injected {len(rows)} duplicates")

    async def inject_poison(self, count: int) -> None:
        nc = await self.nats()
        try:
            js = nc.jetstream()
            for i in range(count):
                payload = organisation()
                body = organisation_envelope(payload)
                kind = i % 3
                if kind == 0:
                    subject, data = f"{SUBJECT}.v1", b"{not json at all"
                elif kind == 1:
                    subject = f"{SUBJECT}.v1"
                    data = json.dumps({**body, "data": {"name": "缺少字段"}}, ensure_ascii=False).encode()
                else:
                    subject = f"{SUBJECT}.v9"
                    data = json.dumps({**body, "type": f"cn.gov.{SUBJECT}.v9"}, ensure_ascii=False).encode()
                await js.publish(subject, data, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        finally:
            await nc.close()
        self.poison += count
        say(f"injected {count} poison messages")

    async def kill_nats(self, down_seconds: float) -> None:
        nats = self.servers.embedded_nats
        assert nats is not None
        say("SIGKILL nats-server")
        nats.kill()
        await self.produce(round(self.args.rate * down_seconds), rate=self.args.rate)  # the API keeps writing
        before = {s: await self.applied(s) for s in CONSUMERS}
        nats.start()  # same port, same JetStream store
        restarted = time.perf_counter()
        say("nats-server restarted")
        first: float | None = None
        while first is None and time.perf_counter() - restarted < 120:
            for service in CONSUMERS:
                if await self.applied(service) > before[service]:
                    first = time.perf_counter() - restarted
                    break
            else:
                await asyncio.sleep(0.02)
        self.figures["nats_restart_to_first_reaction_s"] = round(first, 3) if first is not None else None

    async def kill_relay(self) -> None:
        say("SIGKILL the registry worker (relay)")
        self.workers.kill("registry")
        await self.produce(round(self.args.rate), rate=self.args.rate)
        self.workers.start("registry")

    async def drain(self, size: int) -> None:
        """SIGKILL diagnosis's worker, let ``size`` facts pile up on its durable consumer, restart it."""
        if not await self.caught_up(("diagnosis",)):
            raise RuntimeError("diagnosis never caught up before the backlog phase")
        say(f"SIGKILL the diagnosis worker; a backlog of {size} builds up")
        self.workers.kill("diagnosis")
        await self.produce(size, rate=None)
        while await self.backlog():  # noqa: ASYNC110 - every fact relayed: the backlog waits on NATS
            await asyncio.sleep(0.1)
        base = await self.applied("diagnosis")
        target = self.produced
        self.workers.start("diagnosis")
        restarted = time.perf_counter()
        first: float | None = None
        while time.perf_counter() - restarted < 600:
            applied = await self.applied("diagnosis")
            if first is None and applied > base:
                first = time.perf_counter()
            if applied >= target:
                break
            await asyncio.sleep(0.05)
        end = time.perf_counter()
        self.figures["backlog_events"] = target - base
        self.figures["drain_from_restart_s"] = round(end - restarted, 3)
        self.figures["drain_from_first_reaction_s"] = round(end - first, 3) if first else None
        self.figures["drain_events_per_s"] = round((target - base) / (end - first), 1) if first and end > first else None

    # ------------------------------------------------------------------ the run

    async def run(self) -> None:
        events, rate = self.args.events, self.args.rate
        backlog = self.args.backlog if self.args.backlog is not None else min(10_000, events // 5)
        duplicates = max(10, events // 100)
        poison = max(6, events // 5000 // 3 * 3)
        plan = [  # (share of the steadily produced events before the step, step)
            (0.15, lambda: self.inject_duplicates(duplicates // 2)),
            (0.15, lambda: self.inject_poison(poison // 2)),
            (0.30, lambda: self.kill_nats(self.args.nats_down)),
            (0.50, self.kill_relay),
            (0.60, lambda: self.inject_duplicates(duplicates - duplicates // 2)),
            (0.60, lambda: self.inject_poison(poison - poison // 2)),
            (0.70, lambda: self.drain(backlog)),
        ]
        say("warming up: every worker started and reacting")
        await self.produce(20, rate=None)
        if not await self.caught_up(timeout=180):
            raise RuntimeError("the workers did not apply the first 20 facts within 180 s")
        steady = max(0, events - self.produced - backlog - round(rate * self.args.nats_down) - round(rate))
        started = time.perf_counter()
        done_share = 0.0
        for share, step in plan:
            await self.produce(round(steady * (share - done_share)), rate=rate)
            done_share = share
            await step()
            say(f"{self.produced} of {events} facts committed")
        await self.produce(events - self.produced, rate=rate)
        say(f"all {self.produced} facts committed; waiting for every consumer")
        complete = await self.caught_up(timeout=self.args.timeout)
        await asyncio.sleep(2)  # let late duplicates and redeliveries land, if any were to apply twice
        self.figures["complete"] = complete
        self.figures["wall_seconds"] = round(time.perf_counter() - started, 1)
        await self.count()

    async def count(self) -> None:
        per: dict[str, Any] = {}
        for service in CONSUMERS:
            conn = self.conns[service]
            seen = int(await conn.fetchval("SELECT count(*) FROM known_organisations"))
            twice = int(await conn.fetchval("SELECT count(*) FROM known_organisations WHERE facts_applied > 1"))
            letters = int(await conn.fetchval("SELECT count(*) FROM dead_letters"))
            per[service] = {"applied": seen, "lost": self.produced - seen, "applied_twice": twice,
                            "dead_letters": letters}
        self.figures["consumers"] = per
        self.figures["events"] = self.produced
        self.figures["duplicates_injected"] = self.duplicates
        self.figures["poison_injected"] = self.poison
        self.figures["outbox_backlog"] = await self.backlog()
        self.figures["lost"] = sum(p["lost"] for p in per.values())
        self.figures["applied_twice"] = sum(p["applied_twice"] for p in per.values())
        self.figures["dead_letters_exactly_poison"] = all(p["dead_letters"] == self.poison for p in per.values())


def organisation_envelope(payload: Any) -> dict[str, Any]:
    from sihua_shared.events import new_event

    return new_event(ORGANISATION_REGISTERED, payload, subject=payload.organisation_id).model_dump(
        mode="json", exclude_none=True
    )


def table(figures: dict[str, Any]) -> str:
    mark = {True: "MET", False: "MISSED"}
    first = figures.get("nats_restart_to_first_reaction_s")
    drain = figures.get("drain_from_restart_s")
    lines = [
        f"Sihua backbone soak — {os.cpu_count()} CPUs, {figures['events']:,} facts from registry to "
        f"{', '.join(CONSUMERS)} ({figures['wall_seconds']} s)",
        "─" * 96,
        f"{'consumer':<12}{'applied':>10}{'lost':>8}{'applied twice':>15}{'dead letters':>14}",
    ]
    for service, p in figures["consumers"].items():
        lines.append(f"{service:<12}{p['applied']:>10,}{p['lost']:>8}{p['applied_twice']:>15}{p['dead_letters']:>14}")
    lines += [
        "",
        f"duplicates injected {figures['duplicates_injected']}, poison injected {figures['poison_injected']} "
        f"(each consumer must dead-letter exactly these), outbox left unpublished {figures['outbox_backlog']}",
        f"events lost (target 0)                         {figures['lost']:>8}  {mark[figures['lost'] == 0]}",
        f"effects applied twice (target 0)               {figures['applied_twice']:>8}  "
        f"{mark[figures['applied_twice'] == 0]}",
        f"dead letters exactly the poison ones           {str(figures['dead_letters_exactly_poison']):>8}  "
        f"{mark[figures['dead_letters_exactly_poison']]}",
        f"NATS restart → first reaction (≤ {TARGET_FIRST_REACTION_S:g} s)        "
        f"{first if first is not None else 'never':>8}  {mark[first is not None and first <= TARGET_FIRST_REACTION_S]}",
        f"drain {figures.get('backlog_events', 0):,}-fact backlog from worker restart (≤ {TARGET_DRAIN_S:g} s) "
        f"{drain:>8}  {mark[drain is not None and drain <= TARGET_DRAIN_S]}",
        f"  of which from its first reaction               {figures.get('drain_from_first_reaction_s')} s "
        f"({figures.get('drain_events_per_s')} facts/s)",
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="facts to send (default 100,000)")
    parser.add_argument("--rate", type=float, default=300.0, help="steady commit rate, facts/s (default 300)")
    parser.add_argument("--per-tx", type=int, default=20, help="facts per producer transaction (default 20)")
    parser.add_argument("--nats-down", type=float, default=3.0, help="seconds NATS stays killed (default 3)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="longest wait for the consumers at the end")
    parser.add_argument("--backlog", type=int, default=None,
                        help="facts piled up for the drain phase (default 10,000, at most a fifth of --events)")
    parser.add_argument("--seed", type=int, default=17)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    random.seed(args.seed)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="sihua-soak-"))
    servers: Servers | None = None
    workers: Workers | None = None
    try:
        say("starting servers")
        if os.environ.get("SIHUA_TEST_NATS_URL"):
            raise SystemExit("the soak kills and restarts its own NATS: unset SIHUA_TEST_NATS_URL")
        servers = Servers.start(work, secure=False)
        names = {s: f"sihua_s{servers.run_id}_{s}" for s in ("registry", *CONSUMERS)}
        create_databases(servers.admin_url, list(names.values()))
        servers.created.extend(names.values())
        urls = {s: servers.url_for(n) for s, n in names.items()}
        say("migrating")
        for service, url in urls.items():
            upgrade(service, url)
        workers = Workers(urls, servers.nats_url, work / "data", work / "logs")
        for service in ("registry", *CONSUMERS):
            workers.start(service)

        async def go() -> dict[str, Any]:
            soak = Soak(args, servers, urls, workers)
            await soak.open()
            try:
                await soak.run()
            finally:
                await soak.close()
            return soak.figures

        figures = asyncio.run(go())
    finally:
        say("cleaning up")
        if workers is not None:
            workers.stop_all()
        if servers is not None:
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(table(figures))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"soak-{stamp}.json"
    out.write_text(json.dumps({"timestamp": stamp, "options": vars(args), "figures": figures}, indent=2) + "\n")
    print(f"\nfigures written to {out}")
    ok = figures["lost"] == 0 and figures["applied_twice"] == 0 and figures["dead_letters_exactly_poison"]
    return 0 if ok else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
