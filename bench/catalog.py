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
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backbone import RESULTS, ratio, step

TARGET_P99_MS = 20.0
QUERIES: list[tuple[str | None, dict[str, str | None], str]] = [
    ("排产", {}, "relevance"), ("计划排程", {}, "relevance"), ("定制家居 排产", {}, "relevance"),
    ("设备管理", {}, "price_asc"), ("质量", {"deployment": "cloud"}, "relevance"), ("MES", {}, "relevance"),
    ("仓储 管理", {"sector": "auto_parts"}, "price_desc"), ("预测性维护", {}, "relevance"),
    (None, {"scene": "S05"}, "newest"), (None, {"price_band": "under_10k"}, "price_asc"),
    ("云平台", {"business_link": "manufacturing"}, "relevance"), ("数字孪生", {}, "relevance"),
]
# A catalogue covers many kinds of product: each generated one has one main kind and mentions two neighbours, so a
# query matches a few per cent of the list, not all of it.
NOUNS = ["排产云", "计划排程系统", "制造执行系统", "MES", "仓储管理", "WMS", "质量管理", "设备管理", "能耗管理", "数字孪生",
         "客户关系管理", "产品生命周期管理", "财务共享", "供应链协同", "视觉质检", "预测性维护", "安全生产", "门店管理",
         "电子签章", "招聘管理", "合同管理", "条码追溯", "模具管理", "工艺路线", "刀具管理", "报价系统", "直播电商", "会员营销",
         "订单协同", "备件管理", "巡检系统", "环保监测", "碳排放核算", "工业网关", "数据采集", "报表分析", "低代码平台",
         "知识库", "培训平台", "售后工单"]
FILLER = ["支持多端访问", "开箱即用", "按需订阅", "私有化部署", "快速实施", "提供培训", "数据安全合规", "对接主流设备",
          "一周上线", "可视化看板", "移动审批", "多工厂管理"]
ADJECTIVES = ["智能", "轻量", "云端", "一体化", "小快轻准", "精益", "协同", "数字化", "敏捷", "可视化"]
SECTORS = ["auto_parts", "machine_tools_robots", "fashion_cosmetics", "custom_furniture", "garments_bags", "electronics"]
SCENE_NAMES = ["产品设计", "工艺设计", "计划排程", "生产管控", "质量管理", "设备管理", "仓储物流", "能耗管理", "安全生产",
               "采购管理", "销售管理", "客户服务", "财务管理", "人力资源", "协同办公", "网络安全"]
SCENES = [f"S{i:02d}" for i in range(1, 17)]
LINKS = ["design", "manufacturing", "sales", "service", "management", "security"]


async def seed(url: str, count: int) -> str:
    from sqlalchemy import bindparam, func, insert, literal_column

    from catalog.adapters.tables import product_search, product_versions, products
    from catalog.domain.search import price_band, segmented
    from sihua_shared.db import create_engine, session_factory

    rng = random.Random(20261201)
    engine = create_engine(url)
    first = ""
    now = datetime.now(UTC)

    def weighted(name: str, weight: str) -> Any:
        return func.setweight(func.to_tsvector("simple", bindparam(name)), literal_column(f"'{weight}'::\"char\""))

    search_insert = insert(product_search).values(
        document=weighted("a", "A").op("||")(weighted("b", "B")).op("||")(weighted("c", "C")))
    try:
        for start in range(0, count, 1000):
            rows, versions, search = [], [], []
            for n in range(start, min(start + 1000, count)):
                pid = str(uuid.UUID(int=n + 1))
                first = first or pid
                kind = rng.randrange(len(NOUNS))
                name = f"{rng.choice(ADJECTIVES)}{NOUNS[kind]}{n}"
                summary = f"面向{rng.choice(['定制家居', '汽车零部件', '时尚美妆', '工业母机'])}企业的{NOUNS[kind]}"
                neighbours = [NOUNS[(kind + d) % len(NOUNS)] for d in (1, 2)]
                description = "，".join([*neighbours, *rng.sample(FILLER, 6)])
                price = rng.choice([300_000, 980_000, 1_980_000, 4_800_000, 12_000_000, 30_000_000])
                scenes = rng.sample(SCENES, 2)
                scene_text = " ".join(SCENE_NAMES[SCENES.index(x)] for x in scenes)
                content = {"name": name, "summary": summary, "description": description, "product_type": "saas",
                           "business_links": rng.sample(LINKS, 2), "scenes": scenes, "sectors": rng.sample(SECTORS, 2),
                           "deployment": rng.choice(["cloud", "on_premise", "hybrid"]), "interfaces": [],
                           "packages": [{"code": "basic", "name": "基础版", "price_fen": price, "unit": "per_year"}],
                           "delivery_days": 7, "reference_customers": []}
                rows.append({"id": pid, "organisation_id": f"prov-{n % 300}", "district": "huangpu", "listing": "listed",
                             "catalogue_number": f"GZ-XKQZ-2026-{n + 1:05d}", "admitted_version": 1, "latest_version": 1,
                             "marks": [], "suspension_reasons": [], "created_by": "bench", "version": 1})
                versions.append({"product_id": pid, "number": 1, "state": "admitted", "content": content, "history": [],
                                 "created_by": "bench", "decided_at": now})
                search.append({"product_id": pid, "version": 1, "catalogue_number": f"GZ-XKQZ-2026-{n + 1:05d}",
                               "organisation_id": f"prov-{n % 300}", "provider_name": f"服务商{n % 300}有限公司",
                               "name": name, "summary": summary, "a": segmented(name),
                               "b": segmented(f"服务商{n % 300}有限公司", scene_text, summary),
                               "c": segmented(description),
                               "product_type": "saas", "deployment": content["deployment"],
                               "business_links": content["business_links"], "scenes": scenes, "sectors": content["sectors"],
                               "verified_with": [], "marks": [], "min_price_fen": price, "price_band": price_band(price),
                               "admitted_at": now})
            async with session_factory(engine)() as session, session.begin():
                await session.execute(insert(products), rows)
                await session.execute(insert(product_versions), versions)
                await session.execute(search_insert, search)
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return first


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
            "max_ms": round(ordered[-1], 3), "mean_ms": round(statistics.fmean(ordered), 3), "calls": len(ordered)}


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
    return {"latency": _percentiles(samples), "hits": hits}


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
            return _percentiles(samples)

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
    from sihua_shared.embedded import create_databases
    from sihua_shared.migrate import upgrade
    from sihua_shared.settings import Settings
    from sihua_shared.testing.harness import Servers

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="sihua-bench-catalog-"))
    servers: Servers | None = None
    results: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        step("starting servers")
        servers = Servers.start(work, secure=False)
        name = f"sihua_b{servers.run_id}_catalog"
        create_databases(servers.admin_url, [name])
        servers.created.append(name)
        url = servers.url_for(name)
        upgrade("catalog", url)
        step(f"seeding {args.products} listed products")
        begin = time.perf_counter()
        first = asyncio.run(seed(url, args.products))
        results["seed_seconds"] = round(time.perf_counter() - begin, 1)
        step("search in-process")
        results["in_process"] = asyncio.run(in_process(url, args.rounds))
        step("endpoints")
        settings = Settings(service="catalog", database_url=url, nats_url=servers.nats_url, data_dir=work / "data",
                            jwks_json=servers.issuer.jwks_json, log_level="WARNING")
        results["endpoints"] = asyncio.run(endpoints(settings, first, args.requests))
    finally:
        if servers is not None:
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)
    p99 = results["in_process"]["latency"]["p99_ms"]
    e = results["endpoints"]
    report = {
        "timestamp": stamp, "options": vars(args), "results": results, "wall_seconds": round(time.perf_counter() - started, 1),
        "environment": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"catalog-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
