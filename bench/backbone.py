"""The event backbone benchmark: ``python -m bench.backbone`` (``make bench``).

Measures in one run, on the same servers:

- baselines: the raw JetStream publish rate (acked, CloudEvent-sized, batches of 200 awaited with
  ``asyncio.gather`` as the relay does) and the raw PostgreSQL transaction rate (one INSERT + commit
  per transaction, through the services' async SQLAlchemy engine);
- end to end: events/s from outbox commit → relay → NATS → consumer inbox → handler commit, with the
  registry's relay and the diagnosis consumer (organisations read model) running as ``Worker`` s;
- latency: commit-to-reaction at a fixed rate, taken in the consumer's ``after_commit`` hook.

The end-to-end figure is printed as ratios of the baselines measured in the same run, beside the targets
of the issue. Servers: embedded PostgreSQL and NATS started in a temporary folder, or the servers named by
``SIHUA_TEST_DATABASE_URL`` / ``SIHUA_TEST_NATS_URL`` (what this run creates there is removed after).
Figures are also written as JSON to ``bench/results/backbone-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import io
import itertools
import json
import math
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import BigInteger, Column, Identity, MetaData, Table, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from diagnosis.adapters.readmodels import known_organisations
from sihua_shared.bus import connect, ensure_stream, stream_name
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, OrganisationRegistered
from sihua_shared.db import create_engine, session_factory
from sihua_shared.embedded import create_databases
from sihua_shared.events import CloudEvent, new_event
from sihua_shared.logging import configure_logging
from sihua_shared.migrate import upgrade
from sihua_shared.outbox import outbox_backlog, record_event, record_events
from sihua_shared.settings import Settings
from sihua_shared.tables import dead_letters
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Servers, delete_namespace_streams
from sihua_shared.worker import Worker

# The targets of issue 17 §3: end to end at least twice the raw single-connection PostgreSQL transaction rate
# of the same run; p99 commit-to-reaction at most 50 ms at 100 events/s.
TARGET_OVER_POSTGRES_TX = 2.0
TARGET_P99_MS = 50.0
TARGET_RATE = 100.0

RELAY_BATCH = 200  # the relay publishes up to this many rows with one asyncio.gather
RESULTS = Path(__file__).resolve().parent / "results"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"

bench_rows = Table(
    "bench_rows",
    MetaData(),
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("body", JSONB, nullable=False),
)

_numbers: Iterator[int] = itertools.count(1)


def organisation() -> OrganisationRegistered:
    n = next(_numbers)
    return OrganisationRegistered(
        organisation_id=str(uuid.uuid4()),
        uscc=make_uscc(n),
        name=f"广州示例制造有限公司{n}号",
        kind="enterprise",
        district="huangpu",
        sector="custom_furniture",
        industry_code="C2110",
        size_class="small",
    )


def sample_envelope() -> dict[str, Any]:
    """One ORGANISATION_REGISTERED envelope as the outbox stores it."""
    payload = organisation()
    event = new_event(ORGANISATION_REGISTERED, payload, subject=payload.organisation_id)
    return event.model_dump(mode="json", exclude_none=True)


def settings_for(service: str, url: str, nats_url: str, namespace: str, data_dir: Path) -> Settings:
    """As ``sihua_shared.testing.harness.Stack.settings`` builds them."""
    return Settings(
        service=service,
        database_url=url,
        nats_url=nats_url,
        nats_namespace=namespace,
        data_dir=data_dir,
        log_level="WARNING",
        relay_poll_seconds=0.5,
        consumer_ack_wait_seconds=5.0,
        consumer_nak_delay_seconds=0.2,
    )


# ---------------------------------------------------------------- CPU


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int, *, children: bool = False) -> float:
    """CPU seconds a process has used (with its reaped children's when ``children``), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / _TICK


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


class CpuMeter:
    """CPU seconds of the bench's own process (the producer, and the workers when they run inside it) and of the
    worker processes (relay and consumer) when they run apart — together "python" —, of
    PostgreSQL (the postmaster and every backend) and of nats-server, read from /proc; None where unknown."""

    def __init__(self, servers: Servers, workers: list[int]) -> None:
        self.workers = workers  # the worker processes, when they run apart from the bench
        self.pg_pid: int | None = None
        if servers.embedded_pg is not None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                self.pg_pid = int((servers.embedded_pg.pgdata / "postmaster.pid").read_text().split()[0])
        process = servers.embedded_nats.process if servers.embedded_nats is not None else None
        self.nats_pid: int | None = process.pid if process is not None else None

    def read(self) -> dict[str, float | None]:
        pg = None
        if self.pg_pid is not None:
            pg = _proc_cpu(self.pg_pid, children=True) + sum(_proc_cpu(c) for c in _children(self.pg_pid))
        return {
            "python": time.process_time() + sum(_proc_cpu(pid) for pid in self.workers),
            "postgres": pg,
            "nats": _proc_cpu(self.nats_pid) if self.nats_pid is not None else None,
        }

    @staticmethod
    def per_event_ms(before: dict[str, float | None], after: dict[str, float | None], events: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        total = 0.0
        for key, start in before.items():
            end = after[key]
            if start is None or end is None or not events:
                out[key] = None
                continue
            out[key] = round((end - start) * 1000 / events, 3)
            total += end - start
        out["total"] = round(total * 1000 / events, 3) if events else None
        return out


# ---------------------------------------------------------------- baselines


async def jetstream_baseline(nats_url: str, namespace: str, seconds: float) -> dict[str, Any]:
    nc = await connect(nats_url, name="bench-baseline")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "bench", namespace=namespace)
        subject = f"{namespace}.sihua.bench.organisation.registered.v1"
        body = json.dumps(sample_envelope(), ensure_ascii=False).encode()

        async def batch() -> None:
            await asyncio.gather(
                *(
                    js.publish(subject, body, headers={"Nats-Msg-Id": str(uuid.uuid4()), "Content-Type": CONTENT_TYPE})
                    for _ in range(RELAY_BATCH)
                )
            )

        await batch()  # warm-up
        sent, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            await batch()
            sent += RELAY_BATCH
        elapsed = time.perf_counter() - start
        await js.delete_stream(stream_name("bench", namespace))
    finally:
        await nc.close()
    return {
        "messages": sent,
        "seconds": round(elapsed, 3),
        "message_bytes": len(body),
        "batch": RELAY_BATCH,
        "msgs_per_s": round(sent / elapsed, 1),
    }


async def postgres_baseline(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    engine = create_engine(url)
    factory = session_factory(engine)
    body = sample_envelope()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(bench_rows.metadata.create_all)

        async def one() -> None:
            async with factory() as session, session.begin():
                await session.execute(insert(bench_rows).values(body=body))

        for _ in range(20):  # warm-up: pool, compiled-statement cache
            await one()
        done = 0
        start = time.perf_counter()
        deadline = start + seconds

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await one()
                done += 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        await engine.dispose()
    return {
        "transactions": done,
        "seconds": round(elapsed, 3),
        "connections": concurrency,
        "tx_per_s": round(done / elapsed, 1),
    }


# ---------------------------------------------------------------- the pipeline


@dataclasses.dataclass
class Phase:
    """The events one phase committed and when the consumer reacted to each."""

    expected: int
    committed: dict[str, float] = dataclasses.field(default_factory=dict)
    reacted: dict[str, float] = dataclasses.field(default_factory=dict)
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    last_reaction: float = 0.0

    def react(self, event_id: str, at: float) -> None:
        if event_id in self.committed and event_id not in self.reacted:
            self.reacted[event_id] = at
            self.last_reaction = at
            if len(self.reacted) >= self.expected:
                self.done.set()

    def latencies_ms(self) -> list[float]:
        return sorted((self.reacted[i] - self.committed[i]) * 1000 for i in self.reacted if i in self.committed)


class Pipeline:
    """The registry's relay and the diagnosis consumer running as Workers, and a producer beside them."""

    def __init__(self, registry: Settings, diagnosis: Settings, *, registry_consumers: bool) -> None:
        from diagnosis.spec import SPEC as DIAGNOSIS_SPEC
        from registry.spec import SPEC as REGISTRY_SPEC

        # The registry worker as the brief names it: its relay. With --registry-consumers it also runs the
        # registry's own consumers (the enterprise file, which files organisation facts too).
        registry_spec = REGISTRY_SPEC if registry_consumers else dataclasses.replace(REGISTRY_SPEC, subscriptions=[])
        self.registry = Worker(registry_spec, registry)
        self.diagnosis = Worker(DIAGNOSIS_SPEC, diagnosis, after_commit=self._after_commit)
        self.engine = create_engine(registry.database_url)  # the producer: what the registry api would hold
        self.factory: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.diagnosis_url = diagnosis.database_url
        self.phase: Phase | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _after_commit(self, envelope: CloudEvent) -> None:
        now = time.perf_counter()
        if self.phase is not None:
            self.phase.react(envelope.id, now)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(w.run(self._stop)) for w in (self.registry, self.diagnosis)]

    async def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), timeout=20)
        await self.engine.dispose()

    @property
    def consumer_batches(self) -> int:
        return sum(r.batches for r in self.diagnosis.runners)

    @property
    def relay_published(self) -> int:
        return sum(r.published for r in self.registry.relay_list)

    async def record(self, count: int, phase: Phase) -> float:
        """Commit ``count`` events in one transaction; returns the time right after the commit."""
        payloads = [organisation() for _ in range(count)]
        async with self.factory() as session:
            async with session.begin():
                if count == 1:  # as a use case records its fact
                    events = [await record_event(session, ORGANISATION_REGISTERED, payloads[0],
                                                 subject=payloads[0].organisation_id)]
                else:  # as a use case recording several facts does, with one statement
                    events = await record_events(
                        session, [(ORGANISATION_REGISTERED, p, p.organisation_id, None) for p in payloads]
                    )
                ids = [event.id for event in events]
                for event_id in ids:
                    phase.committed[event_id] = math.nan
            at = time.perf_counter()
        for event_id in ids:
            phase.committed[event_id] = at
        return at

    async def wait(self, phase: Phase, timeout: float) -> bool:
        try:
            await asyncio.wait_for(phase.done.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def known_organisations(self) -> int:
        engine = create_engine(self.diagnosis_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                known = (await conn.execute(select(func.count()).select_from(known_organisations))).scalar_one()
                dead = (await conn.execute(select(func.count()).select_from(dead_letters))).scalar_one()
        finally:
            await engine.dispose()
        if dead:
            print(f"warning: {dead} dead letters in the diagnosis database", file=sys.stderr)
        return int(known)


class ProcessPipeline(Pipeline):
    """The same, with the two workers as processes of their own (as they run in production), each reporting
    its reactions on stdout (``bench.reacting_worker``); the producer stays in the bench's process."""

    def __init__(self, registry: Settings, diagnosis: Settings, *, registry_consumers: bool) -> None:
        super().__init__(registry, diagnosis, registry_consumers=registry_consumers)
        self._settings = {"registry": registry, "diagnosis": diagnosis}
        self._registry_consumers = registry_consumers
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._batches = 0
        self._readers: list[asyncio.Task[None]] = []
        self.registry_url = registry.database_url

    async def start(self) -> None:
        for name, settings in self._settings.items():
            argv = [sys.executable, "-m", "bench.reacting_worker", settings.model_dump_json()]
            if name == "registry" and not self._registry_consumers:
                argv.append("--no-consumers")
            process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
            self.processes[name] = process
            if name == "diagnosis":
                self._readers.append(asyncio.create_task(self._read(process)))

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            kind, _, rest = line.decode().strip().partition(" ")
            if kind == "R" and self.phase is not None:
                event_id, _, at = rest.partition(" ")
                self.phase.react(event_id, float(at))
            elif kind == "B":
                self._batches = int(rest)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values()]

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.terminate()
        for process in self.processes.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
        for reader in self._readers:
            reader.cancel()
        await self.engine.dispose()

    @property
    def consumer_batches(self) -> int:
        return self._batches

    async def unpublished(self) -> int:
        async with self.factory() as session:
            return await outbox_backlog(session)


async def warm_up(pipe: Pipeline, events: int = 50) -> None:
    phase = Phase(expected=events)
    pipe.phase = phase
    for _ in range(events // 10):
        await pipe.record(10, phase)
    if not await pipe.wait(phase, 60):
        raise RuntimeError(f"warm-up: only {len(phase.reacted)} of {events} events reached the consumer in 60 s")


async def end_to_end(pipe: Pipeline, events: int, per_tx: int, timeout: float, cpu: CpuMeter) -> dict[str, Any]:
    before = await pipe.known_organisations()
    cpu_before = cpu.read()
    relay_before = pipe.relay_published
    phase = Phase(expected=events)
    pipe.phase = phase
    relay_done: float | None = None

    async def watch_relay() -> None:
        nonlocal relay_done
        if isinstance(pipe, ProcessPipeline):  # the relay is elsewhere: watch the outbox once all is committed
            await produced_all.wait()
            while await pipe.unpublished():  # noqa: ASYNC110 - another process's outbox, no event to await
                await asyncio.sleep(0.02)
        else:
            while pipe.relay_published - relay_before < events:  # noqa: ASYNC110 - a counter, no event
                await asyncio.sleep(0.01)
        relay_done = time.perf_counter()

    produced_all = asyncio.Event()
    watcher = asyncio.create_task(watch_relay())
    first_commit: float | None = None
    produced = 0
    while produced < events:
        count = min(per_tx, events - produced)
        at = await pipe.record(count, phase)
        produced += count
        first_commit = first_commit or at
    last_commit = time.perf_counter()
    produced_all.set()
    assert first_commit is not None
    complete = await pipe.wait(phase, timeout)
    if isinstance(pipe, ProcessPipeline):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(watcher), 5)
    watcher.cancel()
    cpu_after = cpu.read()
    end = phase.last_reaction if complete else time.perf_counter()
    seconds = end - first_commit
    known = await pipe.known_organisations() - before
    return {
        "events": events,
        "events_per_transaction": per_tx,
        "complete": complete,
        "reacted": len(phase.reacted),
        "known_organisations_added": known,
        "seconds": round(seconds, 3),
        "events_per_s": round(len(phase.reacted) / seconds, 1),
        "producer_seconds": round(last_commit - first_commit, 3),
        "producer_events_per_s": round(events / max(last_commit - first_commit, 1e-9), 1),
        "relay_done_after_s": round(relay_done - first_commit, 3) if relay_done else None,
        "latency_ms_under_load": summary(phase.latencies_ms()),
        "cpu_ms_per_event": CpuMeter.per_event_ms(cpu_before, cpu_after, len(phase.reacted)),
        "consumer_transactions": pipe.consumer_batches,
    }


async def latency(pipe: Pipeline, rate: float, seconds: float, timeout: float, cpu: CpuMeter) -> dict[str, Any]:
    count = max(1, round(rate * seconds))
    cpu_before = cpu.read()
    phase = Phase(expected=count)
    pipe.phase = phase
    start = time.perf_counter() + 0.05
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await pipe.record(1, phase)
    produced_over = time.perf_counter() - start
    complete = await pipe.wait(phase, timeout)
    cpu_after = cpu.read()
    return {
        "cpu_ms_per_event": CpuMeter.per_event_ms(cpu_before, cpu_after, len(phase.reacted)),
        "rate": rate,
        "seconds": seconds,
        "events": count,
        "achieved_rate": round(count / produced_over, 1),
        "complete": complete,
        "reacted": len(phase.reacted),
        **summary(phase.latencies_ms()),
    }


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    ordered = sorted(values)

    def rank(q: float) -> float:  # nearest-rank percentile
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {
        "p50_ms": round(rank(0.50), 1),
        "p99_ms": round(rank(0.99), 1),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
    }


# ---------------------------------------------------------------- the run


@contextlib.contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


async def run(args: argparse.Namespace, servers: Servers, urls: dict[str, str], namespace: str, data_dir: Path,
              profile: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    step("baseline: JetStream publish")
    results["jetstream"] = await jetstream_baseline(servers.nats_url, namespace, args.baseline_seconds)
    step("baseline: PostgreSQL transactions")
    results["postgres"] = await postgres_baseline(urls["baseline"], args.baseline_seconds, 1)
    results["postgres_concurrent"] = await postgres_baseline(urls["baseline"], args.baseline_seconds, 10)

    registry = settings_for("registry", urls["registry"], servers.nats_url, namespace, data_dir)
    diagnosis = settings_for("diagnosis", urls["diagnosis"], servers.nats_url, namespace, data_dir)
    kind = Pipeline if args.in_process else ProcessPipeline
    pipe = kind(registry, diagnosis, registry_consumers=args.registry_consumers)
    await pipe.start()
    cpu = CpuMeter(servers, pipe.pids if isinstance(pipe, ProcessPipeline) else [])
    try:
        step("pipeline: warm-up")
        await warm_up(pipe)
        with profiled(profile):
            step(f"end to end: {args.events} events")
            results["end_to_end"] = await end_to_end(pipe, args.events, args.per_tx, args.timeout, cpu)
            step(f"latency: {args.rate:g} events/s for {args.latency_seconds:g} s")
            results["latency"] = await latency(pipe, args.rate, args.latency_seconds, args.timeout, cpu)
        if not isinstance(pipe, ProcessPipeline):
            results["consumer_counts"] = {r.name: dict(r.counts) for r in pipe.diagnosis.runners}
    finally:
        await pipe.stop()
    return results


def step(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


def ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else math.nan


def assess(results: dict[str, Any]) -> dict[str, Any]:
    e2e, lat = results["end_to_end"], results["latency"]
    rate = e2e["events_per_s"] if e2e["complete"] else 0.0
    p99 = lat["p99_ms"] if lat["complete"] and lat["p99_ms"] is not None else math.inf
    return {
        "e2e_over_jetstream": ratio(rate, results["jetstream"]["msgs_per_s"]),
        "e2e_over_postgres_tx": ratio(rate, results["postgres"]["tx_per_s"]),
        "e2e_over_postgres_tx_10_connections": ratio(rate, results["postgres_concurrent"]["tx_per_s"]),
        "targets": {
            "end_to_end_over_postgres_tx": {
                "target": f">= {TARGET_OVER_POSTGRES_TX:g}x the raw 1-connection PostgreSQL tx rate",
                "measured": ratio(rate, results["postgres"]["tx_per_s"]),
                "met": ratio(rate, results["postgres"]["tx_per_s"]) >= TARGET_OVER_POSTGRES_TX},
            "p99_commit_to_reaction_ms": {"target": f"<= {TARGET_P99_MS:g} at {TARGET_RATE:g} events/s",
                                          "measured": p99 if p99 != math.inf else None,
                                          "met": p99 <= TARGET_P99_MS and lat["rate"] >= TARGET_RATE},
        },
    }


def cpu_ms(section: dict[str, Any], key: str) -> str:
    value = section.get("cpu_ms_per_event", {}).get(key)
    return "n/a" if value is None else f"{value:.3f} ms"


def table(report: dict[str, Any]) -> str:
    r = report["results"]
    js, pg, pgc, e2e, lat = r["jetstream"], r["postgres"], r["postgres_concurrent"], r["end_to_end"], r["latency"]
    a = report["assessment"]
    t = a["targets"]
    env = report["environment"]
    under = e2e["latency_ms_under_load"]
    mark = {True: "MET", False: "MISSED"}
    rows: list[tuple[str, str]] = [
        ("BASELINES", ""),
        (f"JetStream publish, acked ({js['message_bytes']} B, gather of {js['batch']})", f"{js['msgs_per_s']:>10,.0f} msgs/s"),
        ("PostgreSQL INSERT + commit, 1 connection", f"{pg['tx_per_s']:>10,.0f} tx/s"),
        ("PostgreSQL INSERT + commit, 10 connections", f"{pgc['tx_per_s']:>10,.0f} tx/s"),
        ("", ""),
        (f"END TO END ({e2e['events']} events, {e2e['events_per_transaction']} per transaction)", ""),
        ("outbox → relay → NATS → inbox → handler commit", f"{e2e['events_per_s']:>10,.1f} events/s"),
        ("  time from first commit to last reaction", f"{e2e['seconds']:>10.2f} s"),
        ("  producer insert rate (outbox commits)", f"{e2e['producer_events_per_s']:>10,.0f} events/s"),
        ("  relay had published all after", f"{e2e['relay_done_after_s'] or math.nan:>10.2f} s"),
        ("  commit-to-reaction under this load p50 / p99", f"{under['p50_ms'] or math.nan:,.0f} / {under['p99_ms'] or math.nan:,.0f} ms"),
        ("  rows in known_organisations", f"{e2e['known_organisations_added']:>10} / {e2e['events']}"),
        ("  consumer transactions (fetched batches)", f"{e2e['consumer_transactions']:>10}"),
        ("  CPU per event: Python (producer, relay, consumer)", cpu_ms(e2e, "python")),
        ("  CPU per event: PostgreSQL / NATS", f"{cpu_ms(e2e, 'postgres')} / {cpu_ms(e2e, 'nats')}"),
        ("  CPU per event: all three", cpu_ms(e2e, "total")),
        ("  ÷ raw JetStream publish rate", f"{a['e2e_over_jetstream']:>10.3f}"),
        ("  ÷ raw PostgreSQL tx rate (1 connection)", f"{a['e2e_over_postgres_tx']:>10.3f}"),
        ("  ÷ raw PostgreSQL tx rate (10 connections)", f"{a['e2e_over_postgres_tx_10_connections']:>10.3f}"),
        ("", ""),
        (f"LATENCY (commit → reaction, {lat['rate']:g} events/s for {lat['seconds']:g} s, {lat['events']} events)", ""),
        ("  achieved commit rate", f"{lat['achieved_rate']:>10.1f} events/s"),
        ("  p50 / p99 / max", f"{lat['p50_ms']} / {lat['p99_ms']} / {lat['max_ms']} ms"),
        ("  CPU per event: Python / PostgreSQL / NATS", f"{cpu_ms(lat, 'python')} / {cpu_ms(lat, 'postgres')} / {cpu_ms(lat, 'nats')}"),
        ("", ""),
        ("TARGETS (issue)", ""),
        (f"  end to end {t['end_to_end_over_postgres_tx']['target']}",
         f"{t['end_to_end_over_postgres_tx']['measured']:>8,.2f}x {mark[t['end_to_end_over_postgres_tx']['met']]}"),
        (f"  p99 commit-to-reaction {t['p99_commit_to_reaction_ms']['target']}",
         f"{t['p99_commit_to_reaction_ms']['measured'] or math.inf:>8,.1f}  {mark[t['p99_commit_to_reaction_ms']['met']]}"),
    ]
    width = max(len(k) for k, _ in rows) + 2
    head = (f"Sihua event backbone — {env['cpus']} CPUs, Python {env['python']}, {env['servers']} servers, "
            f"registry worker: {env['registry_worker']}, workers: {env['workers']}")
    lines = [head, "─" * max(len(head), width + 24)]
    lines += [f"{k:<{width}}{v}" if v else k for k, v in rows]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.backbone", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="events for the end-to-end run (default 3000)")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="length of the latency run (default 10)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="events/s in the latency run (default 100)")
    parser.add_argument("--per-tx", type=int, default=10, help="events per producer transaction end to end (default 10)")
    parser.add_argument("--baseline-seconds", type=float, default=3.0, help="length of each baseline (default 3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="longest wait for the consumer to catch up")
    parser.add_argument("--registry-consumers", action="store_true",
                        help="run the registry worker's own consumers too (its enterprise file files organisation facts)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the two workers inside the bench's process (one core) rather than as processes")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the end-to-end and latency runs; stats beside the JSON, top functions printed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # pgserver's platformdirs, harmless
    configure_logging("WARNING", "console")
    # Workers' warnings (retries, dead letters) matter, but belong on stderr beside the progress lines:
    # stdout carries the table. (Closing a connection also logs ``nats.disconnected``; that one is noise.)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.profile:
        args.in_process = True  # cProfile sees only this process
    profile = RESULTS / f"backbone-{stamp}.prof" if args.profile else None
    work = Path(tempfile.mkdtemp(prefix="sihua-bench-"))
    servers: Servers | None = None
    namespace = ""
    started = time.perf_counter()
    try:
        step("starting servers")
        servers = Servers.start(work, secure=False)  # the bench creates no NATS users; the suite tests auth
        namespace = f"b{servers.run_id}"
        names = {s: f"sihua_b{servers.run_id}_{s}" for s in ("registry", "diagnosis", "baseline")}
        create_databases(servers.admin_url, list(names.values()))
        servers.created.extend(names.values())
        urls = {s: servers.url_for(n) for s, n in names.items()}
        step("migrating")
        upgrade("registry", urls["registry"])  # Alembic runs its own event loop: before ours starts
        upgrade("diagnosis", urls["diagnosis"])
        results = asyncio.run(run(args, servers, urls, namespace, work / "data", profile))
    finally:
        step("cleaning up")
        if servers is not None:
            if servers.embedded_nats is None and namespace:
                with contextlib.suppress(Exception):
                    asyncio.run(delete_namespace_streams(servers, namespace))
            embedded = servers.embedded_pg is not None
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "timestamp": stamp,
        "environment": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "servers": "embedded" if embedded else "external",
            "registry_worker": "relay + consumers" if args.registry_consumers else "relay",
            "workers": "in the bench's process" if args.in_process else "processes of their own",
        },
        "options": {k: v for k, v in vars(args).items()},
        "results": results,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    report["assessment"] = assess(results)
    print(table(report))
    out = RESULTS / f"backbone-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nfigures written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    if profile is not None:
        print_profile(profile)
    return 0


def print_profile(path: Path, top: int = 30) -> None:
    buffer = io.StringIO()
    stats = pstats.Stats(str(path), stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\nprofile written to {path}; top {top} by own time:")
    print(buffer.getvalue())


if __name__ == "__main__":
    sys.exit(main())
