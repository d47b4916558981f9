"""Industry common solutions and annual work plans of key platforms (S0 二(三)).

A key platform (an organisation holding a valid ``key_platform`` title, its ``provider`` accounts) publishes an
industry common solution (行业共性解决方案) made of listed, admitted products — alone, or jointly with other key
platforms (联合共建): then each partner confirms before the solution is published. It files one annual
transformation work plan (年度转型工作计划) a year, with targets by sector (enterprises to serve, products to apply);
reading a plan compares the targets with the results so far: the enterprises of the sector that adopted the
platform's products that year, and how many of its products they adopted.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, extract, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts import catalog as facts
from sihua_shared.errors import conflict, forbidden, invalid, not_found
from sihua_shared.outbox import record_event

from ..adapters.matching import adoptions, solutions, work_plans
from ..adapters.tables import product_search, products
from ..domain import access as policy
from ..domain import solutions as domain
from .access import ensure
from .standing import valid_title_kinds


async def _key_platform(session: AsyncSession, organisation_id: str | None, today: date) -> bool:
    return organisation_id is not None and "key_platform" in await valid_title_kinds(session, organisation_id, today)


async def _require_key_platform(session: AsyncSession, actor: Actor, today: date) -> str:
    if not actor.has(*policy.PLATFORM_ACCOUNTS) or not await _key_platform(session, actor.org, today):
        raise forbidden("只有持有效称号的重点平台可以操作", "only a key platform with a valid title", code="not_key_platform")
    return str(actor.org)


def _resource(row: dict[str, Any]) -> dict[str, Any]:
    return {policy.ORGANISATION: row["lead_organisation_id"], policy.PARTNERS: row["partner_organisation_ids"],
            policy.PUBLISHED_: row["state"] == domain.State.PUBLISHED}


async def create_solution(session: AsyncSession, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    today = business_clock(session).today()
    lead = await _require_key_platform(session, actor, today)
    partners = list(dict.fromkeys(body["partner_organisation_ids"]))
    for i, partner in enumerate(partners):
        if partner == lead or not await _key_platform(session, partner, today):
            raise invalid(f"body.partner_organisation_ids.{i}", "共建方须为其他持有效称号的重点平台",
                          "a partner is another key platform with a valid title", "partner_not_key_platform")
    items = []
    for i, product_id in enumerate(dict.fromkeys(body["product_ids"])):
        row = (await session.execute(select(product_search.c.version, product_search.c.name).where(
            product_search.c.product_id == product_id))).first()
        if row is None:
            raise invalid(f"body.product_ids.{i}", "产品不在供给清单上", "the product is not on the supply list",
                          "product_not_listed")
        items.append({"product_id": product_id, "version": row.version, "name": row.name})
    row_values = {"id": str(uuid.uuid4()), "lead_organisation_id": lead, "partner_organisation_ids": partners,
                  "confirmations": {}, "title": body["title"], "sector": body["sector"], "summary": body["summary"],
                  "products": items, "state": domain.State.DRAFT, "created_by": actor.id, "version": 1}
    await session.execute(solutions.insert().values(**row_values))
    await audit(session, actor, "solution.create", "solution", row_values["id"], after=row_values)
    return await get_solution(session, actor, row_values["id"])


async def get_solution(session: AsyncSession, actor: Actor, solution_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(solutions).where(solutions.c.id == solution_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("solution", solution_id)
    ensure(policy.solutions(actor), _resource(dict(row)), not_found("solution", solution_id))
    return dict(row)


SOLUTION_COLUMNS: dict[str, Attribute] = {
    policy.ORGANISATION: solutions.c.lead_organisation_id,
    policy.PARTNERS: lambda org: solutions.c.partner_organisation_ids.contains([org]),
    policy.PUBLISHED_: lambda flag: (solutions.c.state == domain.State.PUBLISHED) == flag,
}


async def list_solutions(session: AsyncSession, actor: Actor, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    condition = where(policy.solutions(actor), SOLUTION_COLUMNS)
    total = (await session.execute(select(func.count()).select_from(solutions).where(condition))).scalar_one()
    rows = await session.execute(select(solutions).where(condition).order_by(
        solutions.c.published_on.desc().nulls_last(), solutions.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def _publish(session: AsyncSession, actor: Actor, row: dict[str, Any], state: str, today: date, **values: Any) -> None:
    published = state == domain.State.PUBLISHED
    await session.execute(update(solutions).where(solutions.c.id == row["id"]).values(
        state=state, version=row["version"] + 1, published_on=today if published else None, **values))
    await audit(session, actor, "solution.step", "solution", row["id"], before={"state": row["state"]},
                after={"state": state, **values})
    if published:
        await record_event(session, facts.SOLUTION_PUBLISHED, facts.SolutionPublished(
            solution_id=row["id"], lead_organisation_id=row["lead_organisation_id"],
            partner_organisation_ids=row["partner_organisation_ids"], title=row["title"], sector=row["sector"],
            products=[facts.SolutionProduct(product_id=p["product_id"], version=p["version"]) for p in row["products"]],
            published_on=today), subject=row["id"])


async def publish(session: AsyncSession, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """The lead platform publishes: at once alone, else it asks the partners to confirm."""
    today = business_clock(session).today()
    if await _require_key_platform(session, actor, today) != row["lead_organisation_id"]:
        raise forbidden("只有牵头平台可以发布", "only the lead platform publishes")
    state = domain.MACHINE.step(row["state"], domain.publish_action(row["partner_organisation_ids"]))
    await _publish(session, actor, row, state, today)
    return await get_solution(session, actor, row["id"])


async def confirm(session: AsyncSession, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """A partner platform confirms; the last confirmation publishes the solution."""
    today = business_clock(session).today()
    partner = await _require_key_platform(session, actor, today)
    if partner not in row["partner_organisation_ids"]:
        raise forbidden("只有共建方可以确认", "only a partner platform confirms")
    if partner in row["confirmations"]:
        raise conflict("already_confirmed", "已确认共建", "the partner confirmed already")
    domain.MACHINE.step(row["state"], "confirm")
    confirmations = row["confirmations"] | {partner: {"by": actor.id, "on": today.isoformat()}}
    done = domain.all_confirmed(row["partner_organisation_ids"], confirmations)
    state = domain.MACHINE.step(row["state"], "publish_joint") if done else row["state"]
    await _publish(session, actor, row, state, today, confirmations=confirmations)
    return await get_solution(session, actor, row["id"])


# ---- annual work plans -------------------------------------------------------------------------------


async def file_work_plan(session: AsyncSession, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    today = business_clock(session).today()
    org = await _require_key_platform(session, actor, today)
    sectors = [t["sector"] for t in body["targets"]]
    if len(set(sectors)) != len(sectors):
        raise invalid("body.targets", "每个行业只能有一条目标", "one target per sector", "duplicate_sector")
    plan_id = str(uuid.uuid4())
    values = {"id": plan_id, "organisation_id": org, "year": body["year"], "targets": body["targets"],
              "filed_by": actor.id, "filed_on": today}
    try:
        async with session.begin_nested():
            await session.execute(work_plans.insert().values(**values))
    except IntegrityError:
        raise conflict("work_plan_filed", "该年度工作计划已报送", "the year's work plan is filed already") from None
    await record_event(session, facts.WORK_PLAN_FILED, facts.WorkPlanFiled(
        work_plan_id=plan_id, organisation_id=org, year=body["year"],
        targets=[facts.WorkPlanTarget(**t) for t in body["targets"]], filed_on=today), subject=plan_id)
    await audit(session, actor, "work_plan.file", "work_plan", plan_id, after=values)
    return await get_work_plan(session, actor, plan_id)


async def get_work_plan(session: AsyncSession, actor: Actor, plan_id: str) -> dict[str, Any]:
    row = (await session.execute(select(work_plans).where(work_plans.c.id == plan_id))).mappings().first()
    if row is None:
        raise not_found("work plan", plan_id)
    ensure(policy.work_plans(actor), {policy.ORGANISATION: row["organisation_id"]}, not_found("work plan", plan_id))
    return dict(row) | {"results": await _results(session, row["organisation_id"], row["year"])}


async def _results(session: AsyncSession, organisation_id: str, year: int) -> list[dict[str, Any]]:
    """Per sector: the enterprises that adopted the platform's products that year, and how many of its products."""
    a = adoptions.c
    query = (select(a.sector, func.count(func.distinct(a.enterprise_id)), func.count(func.distinct(a.product_id)))
             .join(products, and_(products.c.id == a.product_id, products.c.organisation_id == organisation_id))
             .where(extract("year", a.adopted_on) == year).group_by(a.sector).order_by(a.sector))
    return [{"sector": sector, "enterprises_served": served, "products_applied": applied}
            for sector, served, applied in await session.execute(query)]


async def list_work_plans(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    rows = (await session.execute(select(work_plans).order_by(work_plans.c.year.desc(), work_plans.c.id))).mappings()
    scope = policy.work_plans(actor)
    return [dict(r) for r in rows if scope.admits({policy.ORGANISATION: r["organisation_id"]})]
