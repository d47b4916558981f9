"""Adoption and outcome (issue 14 §2: "contract facts let catalog count adopters and rank by outcome").

The worker keeps funding's transformation projects (``funded_projects``: the newest state of each, whatever order
the facts arrive in) and their contract lines (``project_lines``: the product version and package each names). A
contract makes its enterprise an **adopter** of every catalogue product version its lines name (``adoptions``,
beside delivered group purchases: matching's "N enterprises of your sector adopted it", the right to rate). A
product's adoption is counted from these rows when read: the adopters (distinct enterprises, any source), the
contracts and their amount in fen, the projects accepted and failed, the acceptance rate (accepted of the decided
ones) and the level the accepted adopters reached (their newest post-transformation assessment that counts, kept by
matching in ``recommendation_sets``). The showcase ranks by adoption (adopters) and by outcome (accepted projects,
then acceptance rate, then adopters).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.contracts import funding as funding_facts
from sihua_shared.events import CloudEvent
from sihua_shared.readmodels import VersionedUpsert

from ..adapters.adoption import funded_projects, project_lines
from ..adapters.matching import adoptions, recommendation_sets
from ..adapters.readmodels import known_organisations
from ..adapters.tables import products

# The states of a funded project, by rank: a fact of a lower rank never overwrites a higher one.
PROJECT_STATES = {"contracted": 1, "investment_approved": 2, "completed": 3, "acceptance_applied": 4,
                  "accepted": 5, "failed": 5}
ACCEPTED, FAILED = "accepted", "failed"
DECIDED = (ACCEPTED, FAILED)

_project = VersionedUpsert(funded_projects, "project_id", ("state", "outcome_on"),
                           ("enterprise_id", "traction_unit_id", "district", "contract_number", "contract_amount_fen",
                            "contracted_on"))
p, line, a = funded_projects.c, project_lines.c, adoptions.c


async def _state(session: AsyncSession, payload: funding_facts.ProjectFact, state: str, *, outcome_on: date | None = None,
                 **fill: Any) -> None:
    values = {"project_id": payload.project_id, "enterprise_id": payload.enterprise_id,
              "traction_unit_id": payload.traction_unit_id, "district": payload.district, "state": state,
              "outcome_on": outcome_on, **fill}
    await _project.apply(session, values, PROJECT_STATES[state])


async def on_contracted(session: AsyncSession, envelope: CloudEvent, payload: funding_facts.ProjectContracted) -> None:
    await _state(session, payload, "contracted", contract_number=payload.contract_number,
                 contract_amount_fen=payload.contract_amount_fen, contracted_on=payload.contracted_on)
    for n, item in enumerate(payload.lines, start=1):
        await session.execute(pg_insert(project_lines).values(
            project_id=payload.project_id, line=n, product_id=item.product_id, product_version=item.version,
            package_code=item.package_code, quantity=item.quantity, amount_fen=item.amount_fen).on_conflict_do_nothing())
    sector = (await session.execute(select(known_organisations.c.sector).where(
        known_organisations.c.organisation_id == payload.enterprise_id))).scalar_one_or_none()
    named = sorted({(item.product_id, item.version) for item in payload.lines})
    known = set((await session.execute(select(products.c.id).where(
        products.c.id.in_([pid for pid, _ in named])))).scalars()) if named else set()
    for product_id, version in named:
        if product_id in known:  # a line naming no catalogue product adopts nothing
            await session.execute(pg_insert(adoptions).values(
                enterprise_id=payload.enterprise_id, product_id=product_id, product_version=version, sector=sector,
                source="contract", source_id=payload.project_id, adopted_on=payload.contracted_on,
            ).on_conflict_do_nothing())


async def on_investment_approved(session: AsyncSession, envelope: CloudEvent,
                                 payload: funding_facts.InvestmentApproved) -> None:
    await _state(session, payload, "investment_approved")


async def on_completed(session: AsyncSession, envelope: CloudEvent, payload: funding_facts.ProjectCompleted) -> None:
    await _state(session, payload, "completed")


async def on_acceptance_applied(session: AsyncSession, envelope: CloudEvent, payload: funding_facts.AcceptanceApplied) -> None:
    await _state(session, payload, "acceptance_applied")


async def on_accepted(session: AsyncSession, envelope: CloudEvent, payload: funding_facts.ProjectAccepted) -> None:
    await _state(session, payload, ACCEPTED, outcome_on=payload.accepted_on)


async def on_failed(session: AsyncSession, envelope: CloudEvent, payload: funding_facts.ProjectFailed) -> None:
    await _state(session, payload, FAILED, outcome_on=payload.failed_on)


# ---- counting ------------------------------------------------------------------------------------------


def rate_percent(accepted: int, decided: int) -> str | None:
    """The acceptance rate, accepted of the decided projects, in percent half-up to 0.01 (None when none decided)."""
    if not decided:
        return None
    return str((Decimal(accepted * 100) / Decimal(decided)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _project_counts(product_ids: list[str], *, by_version: bool) -> Any:
    """Per product (and version): contracts, their amount in fen, projects in progress, accepted, failed."""
    per_project = (select(line.product_id, line.product_version, line.project_id,
                          func.sum(line.amount_fen).label("amount_fen"))
                   .where(line.product_id.in_(product_ids))
                   .group_by(line.product_id, line.product_version, line.project_id).subquery())
    keys = [per_project.c.product_id, *([per_project.c.product_version] if by_version else [])]
    project = per_project.c.project_id

    def projects(*conditions: Any) -> Any:
        return func.count(func.distinct(project)).filter(*conditions) if conditions else func.count(func.distinct(project))

    return (select(*keys, projects().label("contracts"),
                   func.coalesce(func.sum(per_project.c.amount_fen), 0).label("amount_fen"),
                   projects(p.state == ACCEPTED).label("accepted"), projects(p.state == FAILED).label("failed"))
            .join(funded_projects, p.project_id == project).group_by(*keys))


def _adopter_counts(product_ids: list[str], *, by_version: bool) -> Any:
    keys = [a.product_id, *([a.product_version] if by_version else [])]
    return (select(*keys, func.count(func.distinct(a.enterprise_id)).label("adopters"))
            .where(a.product_id.in_(product_ids)).group_by(*keys))


def _summary(adopters: int, counts: Any) -> dict[str, Any]:
    contracts, amount, accepted, failed = (int(counts.contracts), int(counts.amount_fen), int(counts.accepted),
                                           int(counts.failed)) if counts else (0, 0, 0, 0)
    return {"adopters": adopters, "contracts": contracts, "contract_amount_fen": amount,
            "in_progress": contracts - accepted - failed, "accepted": accepted, "failed": failed,
            "acceptance_rate_percent": rate_percent(accepted, accepted + failed)}


async def summaries(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each product's adoption totals (over its versions), for a page of products."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    adopters = {r.product_id: int(r.adopters) for r in await session.execute(_adopter_counts(ids, by_version=False))}
    counts = {r.product_id: r for r in await session.execute(_project_counts(ids, by_version=False))}
    return {pid: _summary(adopters.get(pid, 0), counts.get(pid)) for pid in ids}


async def accepted_levels(session: AsyncSession, product_id: str) -> dict[str, int]:
    """The level (by diagnosis's newest post-transformation assessment that counts) the enterprises whose project
    with the product was accepted reached: {level: enterprises}; an enterprise not assessed since is ``unassessed``."""
    enterprises = (select(p.enterprise_id).join(project_lines, line.project_id == p.project_id)
                   .where(line.product_id == product_id, p.state == ACCEPTED).distinct())
    accepted = list((await session.execute(enterprises)).scalars())
    if not accepted:
        return {}
    r = recommendation_sets.c
    newest = (select(r.enterprise_id, r.level).where(r.enterprise_id.in_(accepted), r.stage == "post_transformation")
              .order_by(r.enterprise_id, r.assessed_at.desc()).ext(distinct_on(r.enterprise_id)))
    levels = {e: lv for e, lv in await session.execute(newest)}
    found: dict[str, int] = {}
    for enterprise in accepted:
        key = str(levels[enterprise]) if enterprise in levels else "unassessed"
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


async def product_adoption(session: AsyncSession, product_id: str) -> dict[str, Any]:
    """A product's adoption and outcomes: totals, per version, and the levels its accepted adopters reached."""
    total = (await summaries(session, [product_id]))[product_id]
    adopters = {r.product_version: int(r.adopters) for r in await session.execute(_adopter_counts([product_id], by_version=True))}
    counts = {r.product_version: r for r in await session.execute(_project_counts([product_id], by_version=True))}
    versions = [{"version": v} | _summary(adopters.get(v, 0), counts.get(v)) for v in sorted({*adopters, *counts})]
    return total | {"accepted_levels": await accepted_levels(session, product_id), "versions": versions}


# ---- ranking (the showcase's sorts) ----------------------------------------------------------------------


def _projects_of(product_id: Any, *states: str) -> Any:
    query = (select(func.count(func.distinct(p.project_id))).select_from(project_lines)
             .join(funded_projects, p.project_id == line.project_id).where(line.product_id == product_id))
    return query.where(p.state.in_(states)).scalar_subquery()


def adopters_of(product_id: Any) -> Any:
    return select(func.count(func.distinct(a.enterprise_id))).where(a.product_id == product_id).scalar_subquery()


def adoption_order(product_id: Any) -> list[ColumnElement[Any]]:
    """The showcase's "adoption" sort: how many enterprises adopted the product (group purchase or contract), most
    first; then the accepted projects."""
    return [adopters_of(product_id).desc(), _projects_of(product_id, ACCEPTED).desc()]


def outcome_order(product_id: Any) -> list[ColumnElement[Any]]:
    """The showcase's "outcome" sort: accepted projects, most first; then the acceptance rate (accepted of decided,
    none decided last); then the adopters."""
    accepted, decided = _projects_of(product_id, ACCEPTED), _projects_of(product_id, *DECIDED)
    rate = case((decided > 0, accepted * literal(10_000) / decided), else_=None)
    return [accepted.desc(), rate.desc().nulls_last(), adopters_of(product_id).desc()]
