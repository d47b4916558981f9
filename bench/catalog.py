"""The catalog search benchmark: ``python -m bench.catalog``.

Measures in one run, at 10,000 admitted, listed products (generated Chinese names, summaries and descriptions,
segmented and indexed exactly as the service indexes them):

- search in-process: ``application.showcase.search`` (the page, the total and every facet count) for a mix of
  Chinese queries, synonyms, facet filters and sorts, p50/p99 per call against the issue's target (p99 ≤ 20 ms);
- the search endpoint, ``GET /showcase/products?q=…``, driven in-process (httpx over ASGI, one request at a time),
  as a ratio to a bare read endpoint of the same run, ``GET /showcase/products/{id}`` (one row by key).

Servers: embedded PostgreSQL (and NATS for the app's readiness only) in a temporary folder, or those named by
``SIHUA_TEST_DATABASE_URL`` / ``SIHUA_TEST_NATS_URL``. Figures are printed and written as JSON to
``bench/results/catalog-<timestamp>.json``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import warnings
from typing import Any

from bench.backbone import ratio, step
from bench.catalog_seed import catalog_database, environment, percentiles, seed, write_figures

TARGET_P99_MS = 20.0
QUERIES: list[tuple[str | None, dict[str, str | None], str]] = [
    ("排产", {}, "relevance"), ("计划排程", {}, "relevance"), ("定制家居 排产", {}, "relevance"),
    ("设备管理", {}, "price_asc"), ("质量", {"deployment": "cloud"}, "relevance"), ("MES", {}, "relevance"),
    ("仓储 管理", {"sector": "auto_parts"}, "price_desc"), ("预测性维护", {}, "relevance"),
    (None, {"scene": "S05"}, "newest"), (None, {"price_band": "under_10k"}, "price_asc"),
    ("云平台", {"business_link": "manufacturing"}, "relevance"), ("数字孪生", {}, "relevance"),
]


async def in_process(url: str, rounds: int) -> dict[str, Any]:
    from catalog.application.showcase import search
    from sihua_shared.db import create_engine, session_factory

    engine = create_engine(url)
    factory = session_factory(engine)
    samples: list[float] = []
    hits: dict[str, int] = {}
    try:
        for r in range(rounds + 1):
            for q, filters, sort in QUERIES:
                async with factory() as session:
                    begin = time.perf_counter()
                    found = await search(session, q=q, filters=filters, sort=sort, limit=20, offset=0)
                    elapsed = (time.perf_counter() - begin) * 1000
                if r:  # the first round warms up
                    samples.append(elapsed)
                hits[q or str(filters)] = found["total"]
    finally:
        await engine.dispose()
    return {"latency": percentiles(samples), "hits": hits}


async def endpoints(settings: Any, product_id: str, requests: int) -> dict[str, Any]:
    from catalog.main import create_app
    from sihua_shared.testing.harness import service_client

    app = create_app(settings)
    out: dict[str, Any] = {}
    async with service_client(app) as client:
        async def timed(path: str, params_of: Any) -> dict[str, Any]:
            samples = []
            for i in range(requests + 20):
                begin = time.perf_counter()
                response = await client.get(path, params=params_of(i))
                elapsed = (time.perf_counter() - begin) * 1000
                assert response.status_code == 200, response.text
                if i >= 20:
                    samples.append(elapsed)
            return percentiles(samples)

        def query(i: int) -> dict[str, Any]:
            q, filters, sort = QUERIES[i % len(QUERIES)]
            return {k: v for k, v in {"q": q, **filters, "sort": sort}.items() if v}

        out["read"] = await timed(f"/api/catalog/v1/showcase/products/{product_id}", lambda i: {})
        out["search"] = await timed("/api/catalog/v1/showcase/products", query)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the query mix in-process (default 20)")
    parser.add_argument("--requests", type=int, default=240, help="requests per endpoint (default 240)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from sihua_shared.settings import Settings

    results: dict[str, Any] = {}
    started = time.perf_counter()
    with catalog_database("catalog") as run:
        step(f"seeding {args.products} listed products")
        begin = time.perf_counter()
        first = asyncio.run(seed(run.url, args.products))
        results["seed_seconds"] = round(time.perf_counter() - begin, 1)
        step("search in-process")
        results["in_process"] = asyncio.run(in_process(run.url, args.rounds))
        step("endpoints")
        settings = Settings(service="catalog", database_url=run.url, nats_url=run.servers.nats_url,
                            data_dir=run.work / "data", jwks_json=run.servers.issuer.jwks_json, log_level="WARNING")
        results["endpoints"] = asyncio.run(endpoints(settings, first, args.requests))
    p99 = results["in_process"]["latency"]["p99_ms"]
    e = results["endpoints"]
    report = {
        "timestamp": run.stamp, "options": vars(args), "results": results,
        "wall_seconds": round(time.perf_counter() - started, 1), "environment": environment(),
        "assessment": {"in_process_p99_ms": {"target": f"<= {TARGET_P99_MS:g}", "measured": p99, "met": p99 <= TARGET_P99_MS},
                       "search_over_read_p50": ratio(e["search"]["p50_ms"], e["read"]["p50_ms"]),
                       "search_over_read_p99": ratio(e["search"]["p99_ms"], e["read"]["p99_ms"])},
    }
    a = report["assessment"]
    print(f"Sihua catalog search — {args.products} listed products, {os.cpu_count()} CPUs")
    print(f"  in-process search (page + total + 7 facets): {results['in_process']['latency']}")
    print(f"  target p99 <= {TARGET_P99_MS:g} ms: {'MET' if a['in_process_p99_ms']['met'] else 'MISSED'}")
    print(f"  GET /showcase/products/{{id}} (bare read): {e['read']}")
    print(f"  GET /showcase/products?q=… (search):       {e['search']}")
    print(f"  ratio search ÷ read: p50 {a['search_over_read_p50']}, p99 {a['search_over_read_p99']}")
    write_figures("catalog", run.stamp, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
