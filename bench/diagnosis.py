"""The diagnosis benchmark: ``python -m bench.diagnosis``.

Measures in one run:

- scoring in-process: ``score_assessment`` on the level-1 and level-2 answer sets of the service tests, per
  assessment, beside a baseline of the same run (a JSON round trip of the same payload);
- the submit endpoint under load: the diagnosis api served by uvicorn in its own process on a free port, over
  the embedded PostgreSQL and NATS (or the servers named by ``SIHUA_TEST_DATABASE_URL`` / ``SIHUA_TEST_NATS_URL``),
  driven by httpx with a fixed number of requests in flight. Each request submits a prepared draft assessment
  (complete answers, If-Match, the authenticity commitment): it authenticates, scores, stores the result, marks the
  edition used, records two facts in the outbox and an audit row. Baselines in the same run and the same way:
  ``GET /healthz`` (bare endpoint) and ``GET /assessments/{id}`` (token check and one read).

No worker runs (reports are rendered later by the worker by design; the outbox simply fills). Figures are printed
as absolute values and as ratios to the baselines, beside the issue's targets, and written as JSON to
``bench/results/diagnosis-<timestamp>.json``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backbone import RESULTS, ratio, step
from bench.diagnosis_load import Load, drive, prepare

TARGET_SCORE_MS = 1.0
TARGET_SUBMITS_PER_S = 200.0
TARGET_P99_MS = 150.0


def scoring(iterations: int) -> dict[str, Any]:
    from bench.diagnosis_load import answer_sets
    from diagnosis.domain.index import load_shipped_edition
    from diagnosis.domain.scoring import score_assessment

    edition = load_shipped_edition()
    sets = answer_sets()
    for payload in sets:  # warm-up
        score_assessment(edition, payload)

    def timed(fn: Any) -> float:
        start = time.perf_counter()
        for i in range(iterations):
            fn(sets[i % len(sets)])
        return (time.perf_counter() - start) / iterations * 1e6

    score_us = timed(lambda p: score_assessment(edition, p))
    stored_us = timed(lambda p: score_assessment(edition, p).to_dict())
    baseline_us = timed(lambda p: json.loads(json.dumps(p)))
    return {"iterations": iterations, "score_us": round(score_us, 1), "score_and_to_dict_us": round(stored_us, 1),
            "json_round_trip_us": round(baseline_us, 1)}


def serve(url: str, nats_url: str, jwks: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIHUA_DIAGNOSIS_DATABASE_URL": url, "SIHUA_NATS_URL": nats_url, "SIHUA_JWKS_JSON": jwks,
           "SIHUA_DATA_DIR": str(data_dir), "SIHUA_LOG_LEVEL": "WARNING", "SIHUA_NATS_NAMESPACE": f"b{uuid.uuid4().hex[:6]}"}
    command = [sys.executable, "-m", "uvicorn", "diagnosis.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=env)


async def load_phases(args: argparse.Namespace, base: str, load: Load, pid: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    step(f"baseline: GET /healthz, {args.concurrency} in flight, {args.baseline_seconds:g} s")
    results["healthz"] = await drive(base, load.healthz_requests(), args.concurrency, seconds=args.baseline_seconds, server_pid=pid)
    step(f"baseline: GET /assessments/{{id}}, {args.concurrency} in flight, {args.baseline_seconds:g} s")
    results["read"] = await drive(base, load.read_requests(), args.concurrency, seconds=args.baseline_seconds, server_pid=pid)
    step(f"submit: {len(load.drafts)} submissions, {args.concurrency} in flight")
    results["submit"] = await drive(base, load.submit_requests(), args.concurrency, server_pid=pid)
    return results


def assess(results: dict[str, Any]) -> dict[str, Any]:
    s, h, r, sc = results["submit"], results["healthz"], results["read"], results["scoring"]
    p99 = s["latency"]["p99_ms"] or float("inf")
    return {
        "submit_over_healthz_rate": ratio(s["per_s"], h["per_s"]),
        "submit_over_read_rate": ratio(s["per_s"], r["per_s"]),
        "submit_p99_over_healthz_p99": ratio(p99, h["latency"]["p99_ms"] or 0),
        "score_over_json_round_trip": ratio(sc["score_us"], sc["json_round_trip_us"]),
        "targets": {
            "scoring_ms": {"target": f"< {TARGET_SCORE_MS:g} ms", "measured": sc["score_us"] / 1000,
                           "met": sc["score_us"] / 1000 < TARGET_SCORE_MS},
            "submits_per_s": {"target": f">= {TARGET_SUBMITS_PER_S:g} on 2 cores", "measured": s["per_s"],
                              "met": s["per_s"] >= TARGET_SUBMITS_PER_S and s["ok"] == s["requests"]},
            "submit_p99_ms": {"target": f"< {TARGET_P99_MS:g}", "measured": p99, "met": p99 < TARGET_P99_MS},
        },
    }


def table(report: dict[str, Any]) -> str:
    r, a, env = report["results"], report["assessment"], report["environment"]
    sc, h, rd, s = r["scoring"], r["healthz"], r["read"], r["submit"]
    mark = {True: "MET", False: "MISSED"}
    t = a["targets"]

    def lat(x: dict[str, Any]) -> str:
        return (f"p50 {x['latency']['p50_ms']} / p99 {x['latency']['p99_ms']} / max {x['latency']['max_ms']} ms, "
                f"server CPU {x['server_cpu_ms_per_request']} ms/req")

    rows = [
        ("SCORING IN-PROCESS (per assessment)", ""),
        ("score_assessment", f"{sc['score_us']:>10.1f} µs"),
        ("score_assessment + to_dict (the stored form)", f"{sc['score_and_to_dict_us']:>10.1f} µs"),
        ("baseline: JSON round trip of the same payload", f"{sc['json_round_trip_us']:>10.1f} µs"),
        ("  ratio score ÷ baseline", f"{a['score_over_json_round_trip']:>10.2f}"),
        ("", ""),
        (f"HTTP ({env['concurrency']} requests in flight, uvicorn workers: {env['server_workers']})", ""),
        ("baseline GET /healthz", f"{h['per_s']:>10,.0f} req/s   {lat(h)}"),
        ("baseline GET /assessments/{id} (token + one read)", f"{rd['per_s']:>10,.0f} req/s   {lat(rd)}"),
        ("POST /assessments/{id}/submit", f"{s['per_s']:>10,.0f} req/s   {lat(s)}"),
        ("  answered 200 / sent", f"{s['ok']:>10} / {s['requests']}"),
        ("  ratio submit ÷ healthz rate", f"{a['submit_over_healthz_rate']:>10.3f}"),
        ("  ratio submit ÷ read rate", f"{a['submit_over_read_rate']:>10.3f}"),
        ("  ratio submit p99 ÷ healthz p99", f"{a['submit_p99_over_healthz_p99']:>10.2f}"),
        ("", ""),
        ("TARGETS (issue)", ""),
        (f"  scoring {t['scoring_ms']['target']}", f"{t['scoring_ms']['measured']:>8.3f} ms  {mark[t['scoring_ms']['met']]}"),
        (f"  submissions {t['submits_per_s']['target']}", f"{t['submits_per_s']['measured']:>8,.1f}/s  {mark[t['submits_per_s']['met']]}"),
        (f"  submit p99 {t['submit_p99_ms']['target']} ms",
         f"{t['submit_p99_ms']['measured']:>8,.1f} ms  {mark[t['submit_p99_ms']['met']]}"),
    ]
    width = max(len(k) for k, _ in rows) + 2
    head = f"Sihua diagnosis — {env['cpus']} CPUs, Python {env['python']}, {env['servers']} servers"
    return "\n".join([head, "─" * max(len(head), width + 40)] + [f"{k:<{width}}{v}" if v else k for k, v in rows])


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.diagnosis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=4000, help="draft assessments submitted under load (default 4000)")
    parser.add_argument("--enterprises", type=int, default=200, help="enterprises the drafts belong to (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--baseline-seconds", type=float, default=5.0, help="length of each baseline (default 5)")
    parser.add_argument("--score-iterations", type=int, default=5000, help="in-process scoring iterations (default 5000)")
    parser.add_argument("--server-workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from sihua_shared.embedded import create_databases, free_port, wait_for_port
    from sihua_shared.migrate import upgrade
    from sihua_shared.testing.harness import Servers

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="sihua-bench-diagnosis-"))
    servers: Servers | None = None
    server: subprocess.Popen[bytes] | None = None
    started = time.perf_counter()
    results: dict[str, Any] = {}
    try:
        step("scoring in-process")
        results["scoring"] = scoring(args.score_iterations)
        step("starting servers")
        servers = Servers.start(work, secure=False)  # the bench creates no NATS users; the suite tests auth
        name = f"sihua_b{servers.run_id}_diagnosis"
        create_databases(servers.admin_url, [name])
        servers.created.append(name)
        url = servers.url_for(name)
        step("migrating")
        upgrade("diagnosis", url)
        step(f"preparing {args.submissions} draft assessments")
        load = asyncio.run(prepare(url, servers.issuer, args.submissions, args.enterprises))
        port = free_port()
        server = serve(url, servers.nats_url, servers.issuer.jwks_json, work / "data", port, args.server_workers)
        wait_for_port(port, timeout=60)
        results.update(asyncio.run(load_phases(args, f"http://127.0.0.1:{port}", load, server.pid)))
    finally:
        step("cleaning up")
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        embedded = servers is not None and servers.embedded_pg is not None
        if servers is not None:
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    report: dict[str, Any] = {
        "timestamp": stamp,
        "environment": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "servers": "embedded" if embedded else "external", "concurrency": args.concurrency,
                        "server_workers": args.server_workers},
        "options": vars(args),
        "results": results,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    report["assessment"] = assess(results)
    print(table(report))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"diagnosis-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
