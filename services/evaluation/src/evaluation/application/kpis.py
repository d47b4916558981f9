"""Programme KPIs against the pilot's targets (S2 二) and S3's yearly service target, by sector and district.

Computed from the facts the service keeps today (diagnosis assessments and projects, the registry's organisations,
evaluation's own results and training). Targets whose facts no service publishes yet (workshops, factories, products,
scenarios, chain cases, clusters) are listed with ``actual: null`` and the facts they wait for.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.eval_tables import evaluation_facts, results, training_sessions
from ..adapters.readmodels import known_organisations, pilot_pool
from ..domain.indicators import ASSESSMENT_COMPLETED, PROJECT_COMPLETED

TARGETS: list[dict[str, Any]] = [
    {"key": "enterprises_level2_plus", "name_zh": "完成改造并达到数字化二级及以上的中小企业", "target": 710, "source": "S2 二"},
    {"key": "digital_workshops", "name_zh": "市级数字化车间", "target": 40, "source": "S2 二", "awaits": "catalog/registry recognitions"},
    {"key": "smart_factories", "name_zh": "智能制造示范工厂", "target": 40, "source": "S2 二", "awaits": "catalog/registry recognitions"},
    {"key": "quality_providers", "name_zh": "优质数字化服务商（评价优秀）", "target": 50, "source": "S2 二"},
    {"key": "products", "name_zh": "\"小快轻准\"数字化产品", "target": 360, "source": "S2 二", "awaits": "catalog.product.admitted"},
    {"key": "scenarios", "name_zh": "典型应用场景", "target": 50, "source": "S2 二", "awaits": "catalog.scenario.selected"},
    {"key": "chain_cases", "name_zh": "\"链式转型\"典型案例", "target": 20, "source": "S2 二", "awaits": "catalog.chain_case.selected"},
    {"key": "clusters", "name_zh": "特色产业集群", "target": 5, "source": "S2 二", "awaits": "registry cluster facts"},
    {"key": "training_person_times", "name_zh": "培训人次", "target": 2000, "source": "S2 二"},
    {"key": "enterprises_served_year", "name_zh": "年度服务企业数", "target": 1000, "source": "S3（超1000家/年）"},
]


async def _profiles(session: AsyncSession) -> dict[str, tuple[str | None, str | None]]:
    found = {r.enterprise_id: (r.sector, r.district) for r in await session.execute(
        select(pilot_pool.c.enterprise_id, pilot_pool.c.sector, pilot_pool.c.district))}
    for r in await session.execute(select(known_organisations.c.organisation_id, known_organisations.c.sector,
                                          known_organisations.c.district)):
        old = found.get(r.organisation_id, (None, None))
        found[r.organisation_id] = (r.sector or old[0], r.district or old[1])
    return found


def _split(ids: set[str], profiles: dict[str, tuple[str | None, str | None]], district: str | None
           ) -> tuple[int, dict[str, int], dict[str, int]]:
    kept = [e for e in ids if district is None or profiles.get(e, (None, None))[1] == district]
    sectors = Counter(profiles.get(e, (None, None))[0] or "unknown" for e in kept)
    districts = Counter(profiles.get(e, (None, None))[1] or "unknown" for e in kept)
    return len(kept), dict(sorted(sectors.items())), dict(sorted(districts.items()))


async def kpis(session: AsyncSession, *, year: int, district: str | None) -> dict[str, Any]:
    profiles = await _profiles(session)
    latest: dict[str, int] = {}
    for fact in (await session.execute(select(evaluation_facts.c.enterprise_id, evaluation_facts.c.data).where(
            evaluation_facts.c.type == ASSESSMENT_COMPLETED).order_by(
            evaluation_facts.c.occurred_on, evaluation_facts.c.created_at, evaluation_facts.c.event_id))).all():
        if fact.enterprise_id and fact.data.get("official_record") is not False:
            latest[fact.enterprise_id] = int(fact.data["level"])
    level2 = {e for e, level in latest.items() if level >= 2}
    served = {str(r[0]) for r in await session.execute(select(evaluation_facts.c.enterprise_id).where(
        evaluation_facts.c.type == PROJECT_COMPLETED, evaluation_facts.c.occurred_on >= date(year, 1, 1),
        evaluation_facts.c.occurred_on <= date(year, 12, 31), evaluation_facts.c.enterprise_id.is_not(None)))}
    excellent = {str(r[0]) for r in await session.execute(select(results.c.provider_id).where(
        results.c.state == "issued", results.c.grade == "优秀"))}
    query = select(training_sessions.c.district, training_sessions.c.sector, training_sessions.c.person_times)
    training = [r for r in (await session.execute(query)).all() if district is None or r.district == district]
    rows = []
    for target in TARGETS:
        row: dict[str, Any] = {**target, "actual": None, "by_sector": {}, "by_district": {}, "share": None}
        key = target["key"]
        if key in ("enterprises_level2_plus", "enterprises_served_year"):
            row["actual"], row["by_sector"], row["by_district"] = _split(
                level2 if key == "enterprises_level2_plus" else served, profiles, district)
        elif key == "quality_providers":
            row["actual"] = len(excellent)
        elif key == "training_person_times":
            row["actual"] = sum(int(r.person_times) for r in training)
            sec: Counter[str] = Counter()
            dis: Counter[str] = Counter()
            for r in training:
                sec[r.sector or "unknown"] += int(r.person_times)
                dis[r.district or "unknown"] += int(r.person_times)
            row["by_sector"], row["by_district"] = dict(sorted(sec.items())), dict(sorted(dis.items()))
        if row["actual"] is not None:
            row["share"] = f"{row['actual'] / target['target']:.3f}"
        rows.append(row)
    return {"year": year, "district": district, "kpis": rows}
