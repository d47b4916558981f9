"""Programme views for officials: levels by sector and district, and the enterprises at 二级 or above after
transformation against the pilot's 710-enterprise target (S2 二).

Each enterprise counts once, with its latest official record (a pilot enterprise's practice self-assessment
never counts). A district officer sees their district; city officers and auditors the whole city.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.auth import Actor
from sihua_shared.errors import forbidden
from sihua_shared.jurisdiction import ProgrammeTarget

from ..adapters.assessment_tables import assessments
from ..adapters.readmodels import known_organisations, pilot_pool
from ..domain import access as policy
from ..domain.access import DISTRICT
from ..domain.assessments import LEVEL2
from ..reports.model import LEVEL_NAMES
from .report_profile import place_names

A = assessments.c


def _latest(actor: Actor, stage: str | None) -> Any:
    """The latest official record per enterprise (optionally of one stage), within the actor's districts."""
    query = (
        select(A.enterprise_id, A.id, A.level, A.sector, A.district, A.stage, A.submitted_at)
        .ext(distinct_on(A.enterprise_id))
        .where(A.state == "submitted", A.official_record.is_(True))
        .order_by(A.enterprise_id, A.submitted_at.desc())
    )
    if stage:
        query = query.where(A.stage == stage)
    scope = policy.programme_districts(actor)
    if scope.nothing:
        raise forbidden("区级账号未绑定所在区", "a district officer's account is bound to no district")
    return query.where(where(scope, {DISTRICT: A.district})).subquery("latest")


def _levels() -> dict[str, int]:
    return {str(level): 0 for level in LEVEL_NAMES}


async def level_counts(session: AsyncSession, actor: Actor, *, stage: str | None, jurisdiction: str) -> dict[str, Any]:
    latest = _latest(actor, stage)
    rows = (
        await session.execute(
            select(latest.c.level, latest.c.sector, latest.c.district, func.count().label("n"))
            .group_by(latest.c.level, latest.c.sector, latest.c.district)
        )
    ).all()
    by_level = _levels()
    by_sector: dict[str, dict[str, int]] = defaultdict(_levels)
    by_district: dict[str, dict[str, int]] = defaultdict(_levels)
    for level, sector, district, n in rows:
        by_level[str(level)] += n
        by_sector[sector or "unknown"][str(level)] += n
        by_district[district or "unknown"][str(level)] += n
    labels = {
        "levels": {str(k): v for k, v in LEVEL_NAMES.items()},
        "districts": {d: place_names(jurisdiction, d, None)[0] for d in by_district},
        "sectors": {s: place_names(jurisdiction, None, s)[1] for s in by_sector},
    }
    return {
        "stage": stage,
        "district": policy.programme_district(actor),
        "enterprises": sum(by_level.values()),
        "by_level": by_level,
        "by_sector": dict(sorted(by_sector.items())),
        "by_district": dict(sorted(by_district.items())),
        "labels": labels,
    }


def _progress(target: ProgrammeTarget | None, reached: int) -> dict[str, Any] | None:
    """Progress against the jurisdiction's target (Guangzhou: 710 SMEs at 二级 or above, S2 二), when it sets one."""
    if target is None:
        return None
    return {"enterprises": target.value, "pilot_reached": reached, "percent": round(100 * reached / target.value, 1),
            "due": target.due.isoformat() if target.due else None, "source": target.source}


async def level2_plus(
    session: AsyncSession, actor: Actor, *, pilot_only: bool, limit: int, offset: int, target: ProgrammeTarget | None = None
) -> dict[str, Any]:
    latest = _latest(actor, "post_transformation")
    pilot = exists().where(
        pilot_pool.c.enterprise_id == latest.c.enterprise_id,
        pilot_pool.c.enrolled_on.is_not(None),
        pilot_pool.c.removed_on.is_(None),
    )
    query = (
        select(latest, known_organisations.c.name, known_organisations.c.uscc, pilot.label("pilot"))
        .outerjoin(known_organisations, known_organisations.c.organisation_id == latest.c.enterprise_id)
        .where(latest.c.level >= LEVEL2)
    )
    if pilot_only:
        query = query.where(pilot)
    counted = query.subquery()
    total, reached = (
        await session.execute(select(func.count(), func.count().filter(counted.c.pilot)).select_from(counted))
    ).one()
    rows = (
        await session.execute(query.order_by(latest.c.level.desc(), latest.c.submitted_at.desc()).limit(limit).offset(offset))
    ).mappings()
    items = [
        {"enterprise_id": r["enterprise_id"], "name": r["name"], "uscc": r["uscc"], "district": r["district"],
         "sector": r["sector"], "level": r["level"], "level_name": LEVEL_NAMES[r["level"]], "assessment_id": r["id"],
         "submitted_at": r["submitted_at"], "pilot": bool(r["pilot"])}
        for r in rows
    ]
    return {
        "items": items, "total": int(total), "limit": limit, "offset": offset,
        "target": _progress(target, int(reached)),
        "district": policy.programme_district(actor),
    }

