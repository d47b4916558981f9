"""Officials' views: the review queues, the admitted products by sector, scene and provider against the programme's
target (S2 二: at least 360 小快轻准 products and services), and the rows of the XLSX exports (the admitted list, the
review results)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.errors import forbidden

from ..adapters.readmodels import known_organisations
from ..adapters.tables import panel_members, product_versions, products
from ..domain import access as policy
from ..domain.product import PRODUCT_TYPES, Listing, Review
from .access import visible

QUEUE_STATES = (Review.SUBMITTED, Review.FORMAL_CHECK, Review.EXPERT_REVIEW)
TARGET_CODE = "catalogue_products"


def _official(actor: Actor) -> None:
    if policy.officials_view(actor).nothing:
        raise forbidden("无权查看", "you may not see this view")


async def review_queue(session: AsyncSession, actor: Actor, state: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Versions awaiting a step, oldest submission first (the city's work list; a district officer's district)."""
    _official(actor)
    v = product_versions.c
    states = [state] if state else list(QUEUE_STATES)
    scored = (select(func.count()).where(panel_members.c.product_id == v.product_id, panel_members.c.version_number == v.number,
                                         panel_members.c.scores.is_not(None)).scalar_subquery())
    drawn = (select(func.count()).where(panel_members.c.product_id == v.product_id,
                                        panel_members.c.version_number == v.number).scalar_subquery())
    query = (select(v.product_id, v.number.label("version"), v.state, v.submitted_at, v.content["name"].astext.label("name"),
                    products.c.organisation_id, products.c.district, products.c.admitted_version,
                    known_organisations.c.name.label("provider_name"), scored.label("scored"), drawn.label("panel_size"))
             .join(products, products.c.id == v.product_id)
             .outerjoin(known_organisations, known_organisations.c.organisation_id == products.c.organisation_id)
             .where(v.state.in_(states), visible(policy.officials_view(actor))))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(v.submitted_at.nulls_last(), v.product_id).limit(limit).offset(offset))
    return [dict(r) | {"change_request": r.admitted_version is not None} for r in rows.mappings()], int(total)


async def admitted_rows(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """The admitted (listed or suspended) products with their version in force, for the statistics and the export."""
    _official(actor)
    v = product_versions.c
    query = (select(products, v.content, v.final_score, v.decided_at, known_organisations.c.name.label("provider_name"))
             .join(product_versions, (v.product_id == products.c.id) & (v.number == products.c.admitted_version))
             .outerjoin(known_organisations, known_organisations.c.organisation_id == products.c.organisation_id)
             .where(products.c.listing.in_([Listing.LISTED, Listing.SUSPENDED]), visible(policy.officials_view(actor)))
             .order_by(products.c.catalogue_number))
    rows = []
    for r in (await session.execute(query)).mappings():
        content = r["content"]
        prices = "；".join(f"{p['name']} {p['price_fen'] / 100:.2f}元（{p['unit']}）" for p in content["packages"])
        rows.append({"catalogue_number": r["catalogue_number"], "name": content["name"], "provider_name": r["provider_name"],
                     "organisation_id": r["organisation_id"], "product_type": PRODUCT_TYPES.get(content["product_type"]),
                     "sectors": content["sectors"], "scenes": content["scenes"], "version": r["admitted_version"],
                     "listing": r["listing"], "marks": r["marks"], "final_score": r["final_score"], "admitted_at": r["decided_at"],
                     "packages": prices})
    return rows


async def statistics(session: AsyncSession, actor: Actor, target: int) -> dict[str, Any]:
    rows = await admitted_rows(session, actor)
    listed = [r for r in rows if r["listing"] == Listing.LISTED]

    def count(key: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in listed:
            values = r[key] if isinstance(r[key], list) else [r[key]]
            for value in values:
                counts[str(value)] = counts.get(str(value), 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return {"target": target, "admitted": len(listed), "suspended": len(rows) - len(listed),
            "progress_percent": f"{(len(listed) * 10000 // target) / 100:.2f}" if target else None,
            "remaining": max(target - len(listed), 0), "by_sector": count("sectors"), "by_scene": count("scenes"),
            "by_provider": count("provider_name")}


async def review_results(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    """Every decided version: the decision, the final score and the reasons."""
    _official(actor)
    v = product_versions.c
    query = (select(v.product_id, v.number, v.state, v.final_score, v.decided_at, v.history, v.content["name"].astext.label("name"),
                    products.c.catalogue_number, known_organisations.c.name.label("provider_name"))
             .join(products, products.c.id == v.product_id)
             .outerjoin(known_organisations, known_organisations.c.organisation_id == products.c.organisation_id)
             .where(v.state.in_([Review.ADMITTED, Review.SUPERSEDED, Review.REJECTED, Review.RETURNED]),
                    visible(policy.officials_view(actor)))
             .order_by(v.decided_at.nulls_last(), v.product_id, v.number))
    rows = []
    for r in (await session.execute(query)).mappings():
        last = r["history"][-1] if r["history"] else {}
        rows.append(dict(r) | {"reasons": "；".join(last.get("reasons", []))})
    return rows
