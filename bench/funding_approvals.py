"""Concurrent approvals on one ledger: ``python -m bench.funding_approvals``.

The funding api served by uvicorn in this process over embedded PostgreSQL and NATS. Prepared: ``--enterprises``
enterprises at 二级, each with ``--projects`` reviewed S2 transformation applications of 20万元 (the 60万 cumulative
cap admits three per enterprise). Measured with ``--concurrency`` requests in flight: approvals/s over all of them
(the refused ones answer 409 after the same locks and computation), beside a bare write endpoint of the same run
(``PUT /applications/{id}/inputs`` on drafts: token, one locked read, one update, an audit row); then the ledger is
checked for rule violations (an enterprise over its cap, an application awarded twice). Target (issue 13): 200
approvals/s with zero violations, as a ratio to the bare write endpoint. Beside the rates, each phase reports what
does not depend on the machine's load: SQL statements per request and this process's CPU per request (client and
server). Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

WAN = 1_000_000
API = "/api/funding/v1"
OFFICIAL = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}


_STATEMENTS = Counter[str]()


def _count_statements() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(*_: Any) -> None:
        _STATEMENTS["n"] += 1


async def _drive(client: httpx.AsyncClient, requests: list[tuple[str, str, dict[str, str], Any]], concurrency: int) -> dict[str, Any]:
    queue = list(reversed(requests))
    statuses: Counter[int] = Counter()
    statements, cpu = _STATEMENTS["n"], time.process_time()

    async def worker() -> None:
        while queue:
            method, path, headers, body = queue.pop()
            statuses[(await client.request(method, path, headers=headers, json=body)).status_code] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    return {"requests": len(requests), "seconds": round(seconds, 2), "per_s": round(len(requests) / seconds, 1),
            "statuses": dict(statuses), "statements_per_request": round((_STATEMENTS["n"] - statements) / len(requests), 2),
            "process_cpu_ms_per_request": round((time.process_time() - cpu) * 1000 / len(requests), 2)}


async def run(args: argparse.Namespace, servers: Any) -> dict[str, Any]:
    from funding.main import create_app
    from services.funding.tests.kit import seed
    from sihua_shared.embedded import create_databases
    from sihua_shared.migrate import upgrade
    from sihua_shared.settings import Settings
    from sihua_shared.testing.harness import served_app

    name = f"sihua_b{servers.run_id}_funding"
    await asyncio.to_thread(create_databases, servers.admin_url, [name])
    servers.created.append(name)
    url = servers.url_for(name)
    await asyncio.to_thread(upgrade, "funding", url)
    enterprises = [f"ent-{n}" for n in range(args.enterprises)]
    await seed(url, *[(e, "enterprise", "baiyun") for e in enterprises], levels=dict.fromkeys(enterprises, 2))
    settings = Settings(service="funding", database_url=url, nats_url=servers.nats_url, jwks_json=servers.issuer.jwks_json,
                        data_dir=Path(args.work) / "data", business_date=date(2026, 3, 10), log_level="WARNING")
    reviewer = servers.issuer.headers(["city_officer"], sub="officer-a")
    approver = servers.issuer.headers(["city_officer"], sub="officer-b")
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=120) as client:
        reviewed, drafts = [], []
        for e in enterprises:
            headers = servers.issuer.headers(["enterprise"], org=e)
            for p in range(args.projects + 1):
                body = {"policy_id": "gz-s2-sme-pilot", "measure_id": "s2-transformation", "project_id": f"{e}-{p}", "inputs": {}}
                app = (await client.post(f"{API}/applications", headers=headers, json=body)).json()
                if p == args.projects:
                    drafts.append((app, headers))
                    continue
                submit = f"{API}/applications/{app['id']}/submit"
                app = (await client.post(submit, headers={**headers, "If-Match": f'"{app["version"]}"'})).json()
                app = (await client.post(f"{API}/applications/{app['id']}/review", headers={**reviewer, "If-Match": f'"{app["version"]}"'},
                                         json={"inputs": OFFICIAL})).json()
                reviewed.append(app)
        edits = [("PUT", f"{API}/applications/{a['id']}/inputs", {**h, "If-Match": f'"{a["version"]}"'},
                  {"inputs": {"project_total_fen": 1}}) for a, h in drafts]
        # the bare write endpoint: as many requests as approvals, cycling the drafts with If-Match *
        edits = [(m, p, {**h, "If-Match": "*"}, b) for m, p, h, b in (edits * (len(reviewed) // max(1, len(edits)) + 1))[:len(reviewed)]]
        baseline = await _drive(client, edits, args.concurrency)
        approvals = await _drive(client, [("POST", f"{API}/applications/{a['id']}/approve",
                                           {**approver, "If-Match": f'"{a["version"]}"'}, None) for a in reviewed], args.concurrency)
        ledger = (await client.get(f"{API}/awards", headers=approver, params={"limit": 1, "offset": 0})).json()["total"]
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from funding.adapters.funding_tables import awards

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        per = (await conn.execute(select(awards.c.applicant_id, func.sum(awards.c.amount_fen), func.count())
                                  .group_by(awards.c.applicant_id))).all()
        twice = (await conn.execute(select(func.count()).select_from(
            select(awards.c.application_id).group_by(awards.c.application_id).having(func.count() > 1).subquery()))).scalar_one()
    await engine.dispose()
    violations = sum(1 for _, total, _ in per if total > 60 * WAN) + int(twice)
    return {"baseline_put_inputs": baseline, "approvals": approvals, "ledger_rows": ledger, "violations": violations,
            "ratio_approvals_to_baseline": round(approvals["per_s"] / baseline["per_s"], 2), "target_per_s": 200}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=40)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from sihua_shared.testing.harness import Servers

    work = Path(tempfile.mkdtemp(prefix="sihua-bench-funding-"))
    args.work = str(work)
    _count_statements()
    servers = Servers.start(work, secure=False)
    try:
        results = asyncio.run(run(args, servers))
    finally:
        servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / f"funding-approvals-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
