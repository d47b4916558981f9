"""Programme KPIs against the pilot's targets (S2 二) and S3's yearly service target, by sector and district.

Computed from the facts the service keeps (diagnosis assessments and projects, the registry's organisations and
titles, evaluation's own training). Recognitions are registry titles (issue 10 §3): a target with a ``title_kind``
counts the titles of that kind valid at the cut-off (granted by then, not revoked by then) — workshops, factories,
typical scenarios, chain cases and quality providers (the excellent-provider recognition). Targets whose facts this
service does not keep yet (products, clusters) are listed with ``actual: null`` and the facts they wait for.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.eval_tables import evaluation_facts, evaluation_products, training_sessions
from ..adapters.readmodels import known_organisations, known_titles, pilot_pool
from ..domain.cycles import quarter_end
from ..domain.indicators import (
    ACCEPTED,
    ASSESSMENT_COMPLETED,
    CLUSTER_MEMBER_APPROVED,
    CLUSTER_MEMBER_REMOVED,
    PROJECT_COMPLETED,
)

TARGETS: list[dict[str, Any]] = [
    {"key": "enterprises_level2_plus", "name_zh": "完成改造并达到数字化二级及以上的中小企业", "target": 710, "source": "S2 二",
     "reading": "改造项目验收通过（资金）且最近一次正式测评达到二级及以上（诊断）"},
    {"key": "digital_workshops", "name_zh": "市级数字化车间", "target": 40, "source": "S2 二", "title_kind": "digital_workshop"},
    {"key": "smart_factories", "name_zh": "智能制造示范工厂", "target": 40, "source": "S2 二",
     "title_kind": "smart_manufacturing_factory"},
    {"key": "quality_providers", "name_zh": "优质数字化服务商", "target": 50, "source": "S2 二, 三(五)",
     "title_kind": "excellent_provider"},
    {"key": "products", "name_zh": "\"小快轻准\"数字化产品", "target": 360, "source": "S2 二",
     "reading": "入库且截至统计时点未下架的产品（暂停展示的仍计入）"},
    {"key": "scenarios", "name_zh": "典型应用场景", "target": 50, "source": "S2 二", "title_kind": "typical_scenario"},
    {"key": "chain_cases", "name_zh": "\"链式转型\"典型案例", "target": 20, "source": "S2 二", "title_kind": "chain_case"},
    {"key": "clusters", "name_zh": "特色产业集群", "target": 5, "source": "S2 二",
     "reading": "截至统计时点至少有一家成员企业经确认且未移出的集群"},
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
    """Each target's figure at the year's end (or its facts so far) with its sector and district split, and
    ``by_quarter``: the cumulative figure at each quarter's end (over time)."""
    profiles = await _profiles(session)
    assessed = [(f.enterprise_id, f.occurred_on, int(f.data["level"])) for f in (await session.execute(
        select(evaluation_facts.c.enterprise_id, evaluation_facts.c.occurred_on, evaluation_facts.c.data).where(
            evaluation_facts.c.type == ASSESSMENT_COMPLETED).order_by(
            evaluation_facts.c.occurred_on, evaluation_facts.c.created_at, evaluation_facts.c.event_id))).all()
        if f.enterprise_id and f.data.get("official_record") is not False]
    served = [(str(r.enterprise_id), r.occurred_on) for r in await session.execute(
        select(evaluation_facts.c.enterprise_id, evaluation_facts.c.occurred_on).where(
            evaluation_facts.c.type == PROJECT_COMPLETED, evaluation_facts.c.occurred_on >= date(year, 1, 1),
            evaluation_facts.c.occurred_on <= date(year, 12, 31), evaluation_facts.c.enterprise_id.is_not(None)))]
    accepted = [(str(r.enterprise_id), r.occurred_on) for r in await session.execute(
        select(evaluation_facts.c.enterprise_id, evaluation_facts.c.occurred_on).where(
            evaluation_facts.c.type == ACCEPTED, evaluation_facts.c.enterprise_id.is_not(None)))]
    products = (await session.execute(select(evaluation_products))).mappings().all()
    memberships = (await session.execute(select(
        evaluation_facts.c.type, evaluation_facts.c.provider_id, evaluation_facts.c.occurred_on, evaluation_facts.c.data,
    ).where(evaluation_facts.c.type.in_((CLUSTER_MEMBER_APPROVED, CLUSTER_MEMBER_REMOVED))))).all()
    recognitions = (await session.execute(select(known_titles.c.kind, known_titles.c.organisation_id,
                                                 known_titles.c.valid_from, known_titles.c.revoked_on))).all()
    query = select(training_sessions.c.district, training_sessions.c.sector, training_sessions.c.person_times,
                   training_sessions.c.held_on)
    training = [r for r in (await session.execute(query)).all() if district is None or r.district == district]

    def level2_at(cut: date) -> set[str]:
        latest: dict[str, int] = {}
        for enterprise, on, level in assessed:
            if on <= cut:
                latest[enterprise] = level
        return {e for e, level in latest.items() if level >= 2}

    def product_profiles() -> dict[str, tuple[str | None, str | None]]:
        """A product's sector (its first) and district (its provider's)."""
        return {p["product_id"]: ((p["sectors"] or [None])[0], profiles.get(p["organisation_id"], (None, None))[1])
                for p in products}

    def clusters_at(cut: date) -> tuple[set[str], dict[str, tuple[str | None, str | None]]]:
        removed = {str(m.data["membership_id"]) for m in memberships if m.type == CLUSTER_MEMBER_REMOVED and m.occurred_on <= cut}
        live = [m for m in memberships if m.type == CLUSTER_MEMBER_APPROVED and m.occurred_on <= cut
                and str(m.data["membership_id"]) not in removed]
        return {str(m.provider_id) for m in live}, {str(m.provider_id): (None, m.data.get("district")) for m in live}

    def measure(key: str, cut: date) -> tuple[int, dict[str, int], dict[str, int]] | None:
        if key == "enterprises_level2_plus":
            transformed = {e for e, on in accepted if on <= cut}
            return _split(level2_at(cut) & transformed, profiles, district)
        if key == "products":
            listed = {p["product_id"] for p in products if p["admitted_on"] <= cut
                      and (p["delisted_on"] is None or p["delisted_on"] > cut)}
            return _split(listed, product_profiles(), district)
        if key == "clusters":
            bodies, where = clusters_at(cut)
            return _split(bodies, where, district)
        if key == "enterprises_served_year":
            return _split({e for e, on in served if on <= cut}, profiles, district)
        kind = next((t.get("title_kind") for t in TARGETS if t["key"] == key), None)
        if kind is not None:
            holders = {r.organisation_id for r in recognitions if r.kind == kind and r.valid_from is not None
                       and r.valid_from <= cut and (r.revoked_on is None or r.revoked_on > cut)}
            return _split(holders, profiles, district)
        if key == "training_person_times":
            sec: Counter[str] = Counter()
            dis: Counter[str] = Counter()
            for r in training:
                if r.held_on <= cut:
                    sec[r.sector or "unknown"] += int(r.person_times)
                    dis[r.district or "unknown"] += int(r.person_times)
            return sum(sec.values()), dict(sorted(sec.items())), dict(sorted(dis.items()))
        return None

    rows = []
    for target in TARGETS:
        row: dict[str, Any] = {**target, "actual": None, "by_sector": {}, "by_district": {}, "share": None,
                               "by_quarter": {}}
        found = measure(target["key"], date(year, 12, 31))
        if found is not None:
            row["actual"], row["by_sector"], row["by_district"] = found
            row["share"] = f"{row['actual'] / target['target']:.3f}"
            for quarter in (1, 2, 3, 4):
                at = measure(target["key"], quarter_end(year, quarter))
                row["by_quarter"][f"Q{quarter}"] = at[0] if at else None
        rows.append(row)
    return {"year": year, "district": district, "kpis": rows}
