"""The read/write HTTP benchmark: ``python -m bench.http`` (``make bench-http``).

Three servers, each one uvicorn worker in its own process, over the same embedded PostgreSQL (or the server named
by ``SIHUA_TEST_DATABASE_URL``): the bare baselines (``bench/bare.py``), the registry api and the diagnosis api.
Each phase keeps 16 connections busy for 5 s with ``wrk`` when it is installed (``apt-get install wrk``), else with a
Python client (httpx, closed loop; the bench says so, and the client then shares the cores with the server). The
server's CPU per request is read from ``/proc/<pid>/stat`` before and after each phase, so that the figures compare
across machines as ratios to the baselines of the same run:

- baselines: bare FastAPI JSON endpoint; bare asyncpg single-row read; bare SQLAlchemy Core read in a transaction;
  bare asyncpg read of 50 rows; bare insert endpoint (asyncpg, one row);
- measured: registry ``/healthz``; public title verification (``GET /titles/verify/{number}``); authenticated
  organisation read (an enterprise reads itself); authenticated organisation list (a city officer, 50 of 200);
  an authenticated create (``POST /organisations``: the row, its ``organisation.registered`` outbox row and its
  audit row), with and without ``Idempotency-Key``; diagnosis submission (``POST /assessments/{id}/submit``, one
  prepared draft each).

Prints req/s, CPU ms/request and the ratios beside the issue's targets; writes JSON to
``bench/results/http-<timestamp>.json``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REGISTRY = "/api/registry/v1"
DIAGNOSIS = "/api/diagnosis/v1"
ORGANISATIONS = 200
WARM_DRAFTS = 300  # drafts submitted in the warm-up of the submission phase

# (figure, baseline, target ratio of req/s) — the targets; "cpu_ms" targets are absolute.
TARGETS: list[tuple[str, str, float]] = [
    ("auth_read", "bare_asyncpg_one", 0.5),
    ("auth_read", "bare_core_one", 1.0),
    ("public_verify", "bare_asyncpg_one", 0.6),
    ("auth_list50", "bare_asyncpg_page", 0.5),
    ("create", "bare_insert", 0.5),
]
TARGET_SUBMIT_CPU_MS = 4.0

from sihua_shared.testing.data import _CHARSET, _WEIGHTS, make_uscc  # noqa: E402  (the Lua copy below needs both)


def step(text: str) -> None:
    print(f"… {text}", file=sys.stderr, flush=True)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else math.nan


@dataclass
class Phase:
    """One measured endpoint. ``kind``: ``get`` (the same request again and again), ``create`` (a new USCC per
    request, optionally with an Idempotency-Key), ``submit`` (one prepared draft per request, from ``lines``)."""

    name: str
    label: str
    server: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    kind: str = "get"
    base: int = 0
    keyed: bool = False
    lines: list[tuple[str, str]] = field(default_factory=list)


# ---- wrk ------------------------------------------------------------------------------------------------------


_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"errors":%d,'
    .. '"p50_us":%d,"p99_us":%d,"max_us":%d}\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""

_USCC = r"""
local charset = "CHARSET"
local weights = {WEIGHTS}
local function uscc(k)
  local first = string.format("91440101MA%07d", k)
  local total = 0
  for i = 1, 17 do
    total = total + (charset:find(first:sub(i, i), 1, true) - 1) * weights[i]
  end
  local idx = (31 - total % 31) % 31
  return first .. charset:sub(idx + 1, idx + 1)
end
""".replace("CHARSET", _CHARSET).replace("WEIGHTS", ",".join(map(str, _WEIGHTS)))


def _lua_string(text: str) -> str:
    """A Lua 5.1 string literal of the UTF-8 bytes of ``text`` (decimal escapes for anything but plain ASCII)."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in text.encode()) + '"'


def lua_script(phase: Phase, folder: Path) -> Path:
    headers = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in phase.headers.items())
    lines = [f"wrk.method = {_lua_string(phase.method)}", headers]
    if phase.kind == "get":
        if phase.body:
            lines.append(f"wrk.body = {_lua_string(phase.body)}")
    elif phase.kind == "create":
        key = 'h["Idempotency-Key"] = "bench-" .. n' if phase.keyed else ""
        lines += [_USCC, f"local n = {phase.base}", f"""
request = function()
  n = n + 1
  local h = {{}}
  for k, v in pairs(wrk.headers) do h[k] = v end
  {key}
  local body = string.format('{{"uscc":"%s","name":"基准测试登记有限公司%d号","kind":"enterprise",'
    .. '"district":"huangpu","sector":"auto_parts"}}', uscc(n), n)
  return wrk.format(nil, {_lua_string(phase.path)}, h, body)
end"""]
    elif phase.kind == "submit":
        listing = folder / f"{phase.name}.txt"
        listing.write_text("".join(f"{a} {t}\n" for a, t in phase.lines))
        lines.append(f"""
local drafts = {{}}
for line in io.lines({_lua_string(str(listing))}) do
  local id, token = line:match("^(%S+) (%S+)$")
  drafts[#drafts + 1] = {{id, token}}
end
local i = 0
request = function()
  i = i + 1
  local d = drafts[(i - 1) % #drafts + 1]
  local h = {{}}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["Authorization"] = "Bearer " .. d[2]
  h["If-Match"] = '"1"'
  local path = string.gsub({_lua_string(phase.path)}, "{{id}}", d[1])
  return wrk.format(nil, path, h, {_lua_string(phase.body)})
end""")
    lines.append(_DONE)
    script = folder / f"{phase.name}.lua"
    script.write_text("\n".join(lines), encoding="utf-8")
    return script


def run_wrk(phase: Phase, base: str, folder: Path, connections: int, seconds: float) -> dict[str, Any]:
    script = lua_script(phase, folder)
    url = base + (phase.path if phase.kind == "get" else "/")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^WRKJSON (.*)$", out, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(found.group(1))
    return {
        "requests": raw["requests"], "non_2xx": raw["non2xx"], "socket_errors": raw["errors"],
        "seconds": raw["duration_us"] / 1e6, "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
    }


# ---- the Python fallback --------------------------------------------------------------------------------------


def uscc(n: int) -> str:
    return make_uscc(n, region="440101")


def python_requests(phase: Phase) -> Iterator[tuple[str, str, dict[str, str], Any]]:
    if phase.kind == "get":
        while True:
            yield phase.method, phase.path, phase.headers, json.loads(phase.body) if phase.body else None
    n = phase.base
    i = 0
    while True:
        n += 1
        if phase.kind == "create":
            body = {"uscc": uscc(n), "name": f"基准测试登记有限公司{n}号", "kind": "enterprise", "district": "huangpu",
                    "sector": "auto_parts"}
            yield phase.method, phase.path, {**phase.headers, **({"Idempotency-Key": f"bench-{n}"} if phase.keyed else {})}, body
        else:
            assessment, token = phase.lines[i % len(phase.lines)]
            i += 1
            yield (phase.method, phase.path.replace("{id}", assessment),
                   {"Authorization": f"Bearer {token}", "If-Match": '"1"'}, json.loads(phase.body))


def run_python(phase: Phase, base: str, connections: int, seconds: float) -> dict[str, Any]:
    from bench.diagnosis_load import drive

    result = asyncio.run(drive(base, python_requests(phase), connections, seconds=seconds, warm_up=0))
    return {"requests": result["requests"], "non_2xx": result["requests"] - result["ok"], "socket_errors": 0,
            "seconds": result["seconds"], "p50_ms": result["latency"]["p50_ms"], "p99_ms": result["latency"]["p99_ms"],
            "max_ms": result["latency"]["max_ms"]}


# ---- servers and data -----------------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(app: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env={**os.environ, "SIHUA_LOG_LEVEL": "WARNING", **env})


async def seed_registry(url: str) -> tuple[list[str], list[str]]:
    """200 organisations (enterprises of one district) and a title for each; their ids and title numbers."""
    from sqlalchemy import text

    from bench.bare import CREATE_INSERTS
    from registry.adapters.tables import organisations
    from registry.adapters.title_tables import titles
    from sihua_shared.db import create_engine

    ids = [str(uuid.uuid4()) for _ in range(ORGANISATIONS)]
    numbers = [f"GZSH-KP-2026-{n + 1:04d}" for n in range(ORGANISATIONS)]
    orgs = [{"id": i, "uscc": uscc(10_000 + n), "name": f"广州基准测试制造有限公司{n:03d}号", "kind": "enterprise",
             "district": "huangpu", "sector": "auto_parts", "industry_code": "C3670", "employees": 120 + n,
             "revenue_fen": 2_000_000_000 + n, "total_assets_fen": 3_000_000_000, "size_class": "medium",
             "size_class_basis": {"row": "工业", "bench": True}, "systems": ["erp", "mes"], "version": 1}
            for n, i in enumerate(ids)]
    grants = [{"id": str(uuid.uuid4()), "number": numbers[n], "kind": "digital_workshop", "name_zh": "广州市数字化车间",
               "organisation_id": i, "valid_from": date(2025, 1, 1), "valid_until": date(2099, 12, 31), "version": 1}
              for n, i in enumerate(ids)]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(organisations.insert(), orgs)
            await conn.execute(titles.insert(), grants)
            await conn.execute(text(CREATE_INSERTS))
    finally:
        await engine.dispose()
    return ids, numbers


def phases(issuer: Any, ids: list[str], numbers: list[str], drafts: list[tuple[str, str]]) -> list[Phase]:
    officer = {"Authorization": f"Bearer {issuer.mint(['city_officer'], expires_in=7200)}"}
    own = {"Authorization": f"Bearer {issuer.mint(['enterprise'], org=ids[7], expires_in=7200)}"}
    json_header = {"Content-Type": "application/json"}
    return [
        Phase("bare_json", "baseline: bare FastAPI JSON endpoint", "bare", "GET", "/json"),
        Phase("bare_asyncpg_one", "baseline: bare asyncpg single-row read", "bare", "GET", f"/asyncpg/one/{ids[7]}"),
        Phase("bare_core_one", "baseline: bare SQLAlchemy Core read in a transaction", "bare", "GET", f"/core/one/{ids[7]}"),
        Phase("bare_asyncpg_page", "baseline: bare asyncpg read of 50 rows", "bare", "GET", "/asyncpg/page"),
        Phase("bare_insert", "baseline: bare insert endpoint (asyncpg, one row)", "bare", "POST", "/insert",
              headers=json_header, body=json.dumps({"uscc": uscc(1), "name": "基准测试登记有限公司", "kind": "enterprise",
                                                    "district": "huangpu", "sector": "auto_parts"}, ensure_ascii=False)),
        Phase("healthz", "registry GET /healthz", "registry", "GET", "/healthz"),
        Phase("public_verify", "registry public title verification", "registry", "GET", f"{REGISTRY}/titles/verify/{numbers[7]}"),
        Phase("auth_read", "registry authenticated organisation read", "registry", "GET", f"{REGISTRY}/organisations/{ids[7]}",
              headers=own),
        Phase("auth_list50", "registry authenticated organisation list (50 of 200)", "registry", "GET",
              f"{REGISTRY}/organisations?limit=50", headers=officer),
        Phase("create", "registry create (row + outbox + audit)", "registry", "POST", f"{REGISTRY}/organisations",
              headers={**officer, **json_header}, kind="create", base=1_000_000),
        Phase("create_keyed", "  the same with an Idempotency-Key", "registry", "POST", f"{REGISTRY}/organisations",
              headers={**officer, **json_header}, kind="create", base=2_000_000, keyed=True),
        Phase("submit", "diagnosis submission", "diagnosis", "POST", f"{DIAGNOSIS}/assessments/{{id}}/submit",
              headers=json_header, body='{"authenticity_commitment": true}', kind="submit", lines=drafts),
    ]


def measure(phase: Phase, base: str, pid: int, args: argparse.Namespace, folder: Path, use_wrk: bool) -> dict[str, Any]:
    # Warm up for a second (connections, caches, first-use loading such as the diagnosis edition), on requests of
    # their own: other USCCs, the first drafts (the measured phase takes the others).
    warm = Phase(**{**phase.__dict__, "name": phase.name + "_warm", "base": phase.base + 500_000,
                    "lines": phase.lines[:WARM_DRAFTS]})
    phase = Phase(**{**phase.__dict__, "lines": phase.lines[WARM_DRAFTS:]})
    run_wrk(warm, base, folder, args.connections, 1) if use_wrk else run_python(warm, base, args.connections, 1)
    before = process_cpu_seconds(pid)
    if use_wrk:
        result = run_wrk(phase, base, folder, args.connections, args.seconds)
    else:
        result = run_python(phase, base, args.connections, args.seconds)
    cpu = process_cpu_seconds(pid) - before
    answered = max(result["requests"] - result["non_2xx"] - result["socket_errors"], 1)
    result["per_s"] = round(answered / result["seconds"], 1)
    result["server_cpu_ms_per_request"] = round(cpu * 1000 / answered, 3)
    result["server_cpu_share"] = round(cpu / result["seconds"], 3)
    return result


def assess(results: dict[str, Any]) -> dict[str, Any]:
    def rate(name: str) -> float:
        return float(results[name]["per_s"])

    def cpu(name: str) -> float:
        return float(results[name]["server_cpu_ms_per_request"])

    checks = []
    for figure, baseline, target in TARGETS:
        got = ratio(rate(figure), rate(baseline))
        # The same ratio from server CPU alone (baseline CPU ÷ figure CPU: the rates one core would sustain): it
        # holds when the machine is shared, where the rates also measure whoever else runs.
        by_cpu = ratio(cpu(baseline), cpu(figure))
        checks.append({"figure": figure, "baseline": baseline, "target": f">= {target}x", "ratio": got,
                       "cpu_capacity_ratio": by_cpu, "met": got >= target, "met_by_cpu": by_cpu >= target})
    checks.append({"figure": "submit", "baseline": None, "target": f"<= {TARGET_SUBMIT_CPU_MS} ms server CPU",
                   "measured_ms": cpu("submit"), "met": cpu("submit") <= TARGET_SUBMIT_CPU_MS})
    extra = {
        "healthz_over_bare_json": ratio(rate("healthz"), rate("bare_json")),
        "create_keyed_over_bare_insert": ratio(rate("create_keyed"), rate("bare_insert")),
    }
    return {"targets": checks, "ratios": extra}


BASELINE_OF = {"healthz": "bare_json", "public_verify": "bare_asyncpg_one", "auth_read": "bare_asyncpg_one",
               "auth_list50": "bare_asyncpg_page", "create": "bare_insert", "create_keyed": "bare_insert",
               "submit": "bare_insert"}


def table(report: dict[str, Any], labels: dict[str, str]) -> str:
    r, env = report["results"], report["environment"]
    head = (f"Sihua HTTP — {env['cpus']} CPUs, Python {env['python']}, load: {env['load_generator']}, "
            f"{env['connections']} connections × {env['seconds']:g} s, one uvicorn worker per server")
    lines = [head, "─" * len(head),
             f"{'endpoint':<56}{'req/s':>9}{'CPU ms/req':>12}{'non-2xx':>9}{'p99 ms':>9}   ratio to baseline (req/s, CPU)"]
    for name, x in r.items():
        base = BASELINE_OF.get(name)
        cpu = ratio(x["server_cpu_ms_per_request"], r[base]["server_cpu_ms_per_request"]) if base else 0
        versus = f"   {ratio(x['per_s'], r[base]['per_s']):.3f}× {base}, CPU {cpu:.2f}×" if base else ""
        lines.append(f"{labels[name]:<56}{x['per_s']:>9,.0f}{x['server_cpu_ms_per_request']:>12.3f}{x['non_2xx']:>9}"
                     f"{x['p99_ms']:>9.1f}{versus}")
    load = os.getloadavg()[0]
    lines += ["", f"TARGETS (issue 17) — load average at the end {load:.1f} on {env['cpus']} CPUs"
              + ("; the machine is shared, trust the server-CPU ratios over the rates" if load > (env["cpus"] or 1) else "")]
    for check in report["assessment"]["targets"]:
        mark = "MET" if check["met"] else "MISSED"
        if check["baseline"]:
            by_cpu = "MET" if check["met_by_cpu"] else "MISSED"
            lines.append(f"  {check['figure']} ÷ {check['baseline']} {check['target']}: req/s {check['ratio']:.3f} {mark}; "
                         f"by server CPU {check['cpu_capacity_ratio']:.3f} {by_cpu}")
        else:
            lines.append(f"  {check['figure']} {check['target']}: {check['measured_ms']:.2f} ms  {mark}")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16, help="connections kept busy (default 16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase (default 5)")
    parser.add_argument("--drafts", type=int, default=3000, help="draft assessments prepared for submission (default 3000)")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even when wrk is installed")
    parser.add_argument("--only", default="", help="comma-separated phase names to run (default: all)")
    parser.add_argument("--hold", action="store_true", help="after the phases, keep the servers up until Enter (profiling)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from bench.diagnosis_load import prepare
    from sihua_shared.embedded import create_databases, free_port, wait_for_port
    from sihua_shared.migrate import upgrade
    from sihua_shared.testing.harness import Servers

    use_wrk = shutil.which("wrk") is not None and not args.python_client
    if not use_wrk:
        step("wrk is not installed (apt-get install wrk): falling back to the Python client, which shares the "
             "cores with the server — its rates measure the client too")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="sihua-bench-http-"))
    servers: Servers | None = None
    processes: dict[str, subprocess.Popen[bytes]] = {}
    results: dict[str, Any] = {}
    labels: dict[str, str] = {}
    started = time.perf_counter()
    embedded = False
    try:
        step("starting PostgreSQL and NATS")
        servers = Servers.start(work, secure=False)
        embedded = servers.embedded_pg is not None
        names = {svc: f"sihua_b{servers.run_id}_{svc}" for svc in ("registry", "diagnosis")}
        create_databases(servers.admin_url, list(names.values()))
        servers.created.extend(names.values())
        urls = {svc: servers.url_for(name) for svc, name in names.items()}
        for svc, url in urls.items():
            step(f"migrating {svc}")
            upgrade(svc, url)
        step(f"seeding {ORGANISATIONS} organisations and titles; preparing {args.drafts} draft assessments")
        ids, numbers = asyncio.run(seed_registry(urls["registry"]))
        load = asyncio.run(prepare(urls["diagnosis"], servers.issuer, args.drafts, 200))
        drafts = [(a, load.tokens[e]) for a, e in load.drafts]
        common = {"SIHUA_NATS_URL": servers.nats_url, "SIHUA_JWKS_JSON": servers.issuer.jwks_json,
                  "SIHUA_DATA_DIR": str(work / "data"), "SIHUA_NATS_NAMESPACE": f"b{uuid.uuid4().hex[:6]}"}
        ports = {name: free_port() for name in ("bare", "registry", "diagnosis")}
        processes["bare"] = serve("bench.bare:create_app", {"SIHUA_BENCH_DATABASE_URL": urls["registry"]}, ports["bare"])
        processes["registry"] = serve("registry.main:create_app", {**common, "SIHUA_REGISTRY_DATABASE_URL": urls["registry"]},
                                      ports["registry"])
        processes["diagnosis"] = serve("diagnosis.main:create_app",
                                       {**common, "SIHUA_DIAGNOSIS_DATABASE_URL": urls["diagnosis"]}, ports["diagnosis"])
        for port in ports.values():
            wait_for_port(port, timeout=60)
        time.sleep(1.0)
        step("server pids: " + json.dumps({name: p.pid for name, p in processes.items()}))
        wanted = {n for n in args.only.split(",") if n}
        for phase in phases(servers.issuer, ids, numbers, drafts):
            if wanted and phase.name not in wanted:
                continue
            labels[phase.name] = phase.label
            step(f"{phase.label}: {args.connections} connections, {args.seconds:g} s")
            results[phase.name] = measure(phase, f"http://127.0.0.1:{ports[phase.server]}", processes[phase.server].pid,
                                          args, work, use_wrk)
        if args.hold:
            print(json.dumps({name: {"pid": p.pid, "port": ports[name]} for name, p in processes.items()}), flush=True)
            with contextlib.suppress(EOFError):
                input("servers up; Enter stops them\n")
    finally:
        step("cleaning up")
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if servers is not None:
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    report: dict[str, Any] = {
        "timestamp": stamp,
        "environment": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "servers": "embedded" if embedded else "external",
                        "load_generator": "wrk" if use_wrk else "python (httpx) — shares the cores with the server",
                        "connections": args.connections, "seconds": args.seconds, "server_workers": 1},
        "options": vars(args),
        "results": results,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    if not wanted:
        report["assessment"] = assess(results)
        print(table(report, labels))
    else:
        print(json.dumps(results, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"http-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
