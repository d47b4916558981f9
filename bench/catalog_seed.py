"""What the catalog benches share (``bench.catalog``, ``bench.matching``): the generated catalogue (Chinese names,
summaries and descriptions at scale, segmented and indexed exactly as the service indexes them), the catalog database
on fresh servers, latency percentiles and the figures file. Not a bench of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.backbone import RESULTS, step

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
    """Inserts ``count`` admitted, listed products (row, admitted version, search document) in batches of 1,000, then
    ANALYZE; returns the first product's id."""
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


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
            "max_ms": round(ordered[-1], 3), "mean_ms": round(statistics.fmean(ordered), 3), "calls": len(ordered)}


@dataclass(frozen=True)
class CatalogRun:
    servers: Any  # sihua_shared.testing.harness.Servers
    url: str
    work: Path
    stamp: str


@contextlib.contextmanager
def catalog_database(bench: str) -> Iterator[CatalogRun]:
    """Starts the servers (embedded in a temporary folder, or those of ``SIHUA_TEST_DATABASE_URL`` /
    ``SIHUA_TEST_NATS_URL``), creates the catalog database and upgrades it; on leaving, stops them and removes the
    folder and what was created."""
    from sihua_shared.embedded import create_databases
    from sihua_shared.migrate import upgrade
    from sihua_shared.testing.harness import Servers

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix=f"sihua-bench-{bench}-"))
    servers: Servers | None = None
    try:
        step("starting servers")
        servers = Servers.start(work, secure=False)
        name = f"sihua_b{servers.run_id}_catalog"
        create_databases(servers.admin_url, [name])
        servers.created.append(name)
        url = servers.url_for(name)
        upgrade("catalog", url)
        yield CatalogRun(servers=servers, url=url, work=work, stamp=stamp)
    finally:
        if servers is not None:
            servers.stop()
        shutil.rmtree(work, ignore_errors=True)


def environment() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_figures(bench: str, stamp: str, report: dict[str, Any]) -> Path:
    """Writes ``report`` as ``bench/results/<bench>-<stamp>.json`` and says where."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{bench}-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    print(f"figures written to {out}")
    return out
