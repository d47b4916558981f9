"""The load side of ``bench.diagnosis``: prepared draft assessments, their tokens, and a closed-loop driver."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from bench.backbone import summary

API = "/api/diagnosis/v1"
KIT = Path(__file__).resolve().parents[1] / "services" / "diagnosis" / "tests" / "kit.py"


@cache
def _kit() -> ModuleType:
    """The diagnosis tests' answer sets, worked out by hand (level 一级 and 二级)."""
    spec = importlib.util.spec_from_file_location("diagnosis_test_kit", KIT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answer_sets() -> list[dict[str, Any]]:
    kit = _kit()
    return [kit.LEVEL1, kit.LEVEL2]


Request = tuple[str, str, dict[str, str], dict[str, Any] | None]


@dataclass
class Load:
    drafts: list[tuple[str, str]] = field(default_factory=list)
    """(assessment id, enterprise id) of each prepared draft."""
    tokens: dict[str, str] = field(default_factory=dict)

    def _auth(self, enterprise_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[enterprise_id]}"}

    def healthz_requests(self) -> Iterator[Request]:
        return itertools.repeat(("GET", "/healthz", {}, None))

    def read_requests(self) -> Iterator[Request]:
        return (("GET", f"{API}/assessments/{a}", self._auth(e), None) for a, e in itertools.cycle(self.drafts))

    def submit_requests(self) -> Iterator[Request]:
        body = {"authenticity_commitment": True}
        return (
            ("POST", f"{API}/assessments/{a}/submit", {**self._auth(e), "If-Match": '"1"'}, body) for a, e in self.drafts
        )


async def prepare(url: str, issuer: Any, drafts: int, enterprises: int) -> Load:
    """Enterprises in the organisations read model and complete draft assessments, written straight to the database."""
    from diagnosis.adapters.assessment_tables import assessments
    from diagnosis.adapters.readmodels import known_organisations
    from diagnosis.application.edition_cache import shipped_edition
    from diagnosis.application.editions import ensure_shipped_edition
    from sihua_shared.db import create_engine, session_factory
    from sihua_shared.testing.data import make_uscc

    edition = shipped_edition()
    sets = answer_sets()
    load = Load()
    ids = [str(uuid.uuid4()) for _ in range(enterprises)]
    orgs = [
        {"organisation_id": e, "uscc": make_uscc(10_000 + n), "name": f"广州基准测试制造有限公司{n}号", "kind": "enterprise",
         "district": "huangpu", "sector": "auto_parts", "version": 1, "facts_applied": 1}
        for n, e in enumerate(ids)
    ]
    rows = []
    for n in range(drafts):
        enterprise = orgs[n % enterprises]
        assessment_id = str(uuid.uuid4())
        load.drafts.append((assessment_id, enterprise["organisation_id"]))
        rows.append({
            "id": assessment_id, "enterprise_id": enterprise["organisation_id"], "uscc": enterprise["uscc"],
            "district": "huangpu", "sector": "auto_parts", "kind": "self", "stage": "baseline", "state": "draft",
            "edition_id": edition.id, "edition_version": edition.version_id, "answers": sets[n % len(sets)],
            "created_by": "bench", "version": 1,
        })
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await ensure_shipped_edition(session)
            await session.execute(known_organisations.insert(), orgs)
            for start in range(0, len(rows), 1000):
                await session.execute(assessments.insert(), rows[start:start + 1000])
    finally:
        await engine.dispose()
    load.tokens = {e: issuer.mint(["enterprise"], org=e, expires_in=7200) for e in ids}
    return load


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running, from /proc (Linux); NaN elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def own(p: int) -> tuple[int, float]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick

    try:
        total = own(pid)[1]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(pid):
                try:
                    parent, cpu = own(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
                total += cpu if parent == pid else 0.0
        return total
    except OSError:
        return float("nan")


async def drive(base: str, requests: Iterable[Request], concurrency: int, *, seconds: float | None = None,
                warm_up: int = 20, server_pid: int | None = None) -> dict[str, Any]:
    """Keep ``concurrency`` requests in flight until ``requests`` run out (or ``seconds`` pass); the first
    ``warm_up`` requests (connections, caches) are sent but not counted."""
    source = iter(requests)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0, "other": 0}
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for method, path, headers, body in itertools.islice(source, warm_up):
            await client.request(method, path, headers=headers, json=body)
        cpu_before = process_cpu_seconds(server_pid) if server_pid else float("nan")
        start = time.perf_counter()
        deadline = start + seconds if seconds else None

        async def loop() -> None:
            for method, path, headers, body in source:
                if deadline and time.perf_counter() > deadline:
                    return
                sent = time.perf_counter()
                response = await client.request(method, path, headers=headers, json=body)
                latencies.append((time.perf_counter() - sent) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                key = "ok" if response.status_code < 300 else "errors" if response.status_code >= 500 else "other"
                counts[key] += 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        cpu = (process_cpu_seconds(server_pid) - cpu_before) if server_pid else float("nan")
    return {
        "server_cpu_ms_per_request": round(cpu * 1000 / max(len(latencies), 1), 2),
        "requests": len(latencies), "ok": counts["ok"], "errors": counts["errors"], "other": counts["other"],
        "statuses": statuses, "seconds": round(elapsed, 3), "per_s": round(len(latencies) / elapsed, 1),
        "latency": summary(latencies),
    }
