"""The public showcase (供给清单展示): the search index of listed products and the search over it.

``reindex`` writes one row per listed product — its version in force, its provider's name, the names of the
scenes it addresses, what it is verified with (valid adaptation records only) — with the text segmented into a
``tsvector`` (``domain.search``); a product that is not listed has no row, so the public sees admitted, listed
products only. ``search`` segments the query the same way, applies the synonyms, ranks with ``ts_rank`` and
counts the facets over the matching products.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ARRAY, String, cast, delete, desc, func, literal, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.clock import business_clock
from sihua_shared.errors import not_found

from ..adapters.readmodels import editions, known_organisations
from ..adapters.tables import adaptation_records, product_search, product_versions, products
from ..domain import search as words
from ..domain.product import Listing, min_price_fen
from . import adoption, ratings


async def edition_in_force(session: AsyncSession) -> dict[str, Any] | None:
    row = (await session.execute(select(editions).order_by(desc(editions.c.version)).limit(1))).mappings().first()
    return dict(row) if row else None


async def scene_names(session: AsyncSession) -> dict[str, str]:
    edition = await edition_in_force(session)
    return {s["scene_id"]: s["name"] for s in edition["scenes"]} if edition else {}


async def verified_with(session: AsyncSession, product_id: str, today: date) -> list[str]:
    a = adaptation_records.c
    query = select(a.target_kind, a.target_ref).where(
        a.product_id == product_id, a.valid_until >= today, a.expired_on.is_(None)).distinct()
    return sorted(f"{kind}:{ref}" for kind, ref in (await session.execute(query)).all())


async def reindex(session: AsyncSession, product_id: str) -> None:
    """Bring the product's search row in line with the product (written at every change)."""
    product = (await session.execute(select(products).where(products.c.id == product_id))).mappings().one()
    if product["listing"] != Listing.LISTED or product["admitted_version"] is None:
        await session.execute(delete(product_search).where(product_search.c.product_id == product_id))
        return
    version = (await session.execute(select(product_versions).where(
        product_versions.c.product_id == product_id, product_versions.c.number == product["admitted_version"]))).mappings().one()
    content = version["content"]
    provider = (await session.execute(select(known_organisations.c.name).where(
        known_organisations.c.organisation_id == product["organisation_id"]))).scalar_one_or_none() or ""
    names = await scene_names(session)
    scene_text = " ".join(names.get(s, "") for s in content["scenes"])
    text = {
        "A": words.segmented(content["name"]),
        "B": words.segmented(provider, scene_text, content["summary"]),
        "C": words.segmented(content["description"], " ".join(content.get("interfaces", [])),
                             " ".join(content.get("reference_customers", []))),
    }
    document = _weighted(text["A"], "A").op("||")(_weighted(text["B"], "B")).op("||")(_weighted(text["C"], "C"))
    price = min_price_fen(content)
    values = {
        "product_id": product_id, "version": product["admitted_version"], "catalogue_number": product["catalogue_number"],
        "organisation_id": product["organisation_id"], "provider_name": provider, "name": content["name"],
        "summary": content["summary"], "document": document, "product_type": content["product_type"],
        "deployment": content["deployment"], "business_links": content["business_links"], "scenes": content["scenes"],
        "sectors": content["sectors"], "verified_with": await verified_with(session, product_id, business_clock(session).today()),
        "marks": product["marks"], "min_price_fen": price, "price_band": words.price_band(price),
        "admitted_at": version["decided_at"],
    }
    statement = pg_insert(product_search).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[product_search.c.product_id], set_={k: statement.excluded[k] for k in values if k != "product_id"}))


def _weighted(text: str, weight: str) -> Any:
    return func.setweight(func.to_tsvector("simple", text), literal_column(f"'{weight}'::\"char\""))


# ---- the search -----------------------------------------------------------------------------------

ARRAY_FACETS = {"scene": product_search.c.scenes, "business_link": product_search.c.business_links,
                "sector": product_search.c.sectors, "verified_with": product_search.c.verified_with}
SCALAR_FACETS = {"product_type": product_search.c.product_type, "deployment": product_search.c.deployment,
                 "price_band": product_search.c.price_band}
SORTS = ("relevance", "price_asc", "price_desc", "newest", "rating", "adoption", "outcome")


def _filters(filters: dict[str, str | None]) -> list[Any]:
    conditions: list[Any] = []
    for name, column in ARRAY_FACETS.items():
        if filters.get(name):
            conditions.append(column.contains(cast([filters[name]], ARRAY(String))))
    for name, scalar in SCALAR_FACETS.items():
        if filters.get(name):
            conditions.append(scalar == filters[name])
    return conditions


async def search(
    session: AsyncSession, *, q: str | None, filters: dict[str, str | None], sort: str, limit: int, offset: int,
) -> dict[str, Any]:
    text_query = words.tsquery(q) if q else None
    conditions = _filters(filters)
    rank: Any = literal(0.0)
    if text_query is not None:
        tsq = func.to_tsquery("simple", text_query)
        conditions.append(product_search.c.document.op("@@")(tsq))
        rank = func.ts_rank(product_search.c.document, tsq)
    elif q and q.strip():
        return {"items": [], "total": 0, "limit": limit, "offset": offset, "facets": {}, "query": None}
    s = product_search.c
    order = {
        "relevance": (desc(rank), desc(s.admitted_at), s.product_id),
        "price_asc": (s.min_price_fen.asc().nulls_last(), s.product_id),
        "price_desc": (s.min_price_fen.desc().nulls_last(), s.product_id),
        "newest": (desc(s.admitted_at), s.product_id),
        "rating": (*ratings.rating_order(s.product_id), s.product_id),  # ratings feed sorting (application/ratings.py)
        "adoption": (*adoption.adoption_order(s.product_id), s.product_id),  # adopters (application/adoption.py)
        "outcome": (*adoption.outcome_order(s.product_id), s.product_id),  # accepted projects, acceptance rate
    }[sort]
    # One statement for the page and the total (a window count), one for every facet over the matching set.
    page = (select(product_search, rank.label("rank"), func.count().over().label("total_matching"))
            .where(*conditions).order_by(*order).limit(limit).offset(offset))
    rows = [dict(r) for r in (await session.execute(page)).mappings().all()]
    if rows:
        total = int(rows[0]["total_matching"])
    else:
        total = int((await session.execute(select(func.count()).select_from(product_search).where(*conditions))).scalar_one())
    facets: dict[str, dict[str, int]] = {name: {} for name in (*ARRAY_FACETS, *SCALAR_FACETS)}
    if total:
        for facet, value, count in (await session.execute(_facet_counts(conditions))).all():
            facets[facet][str(value)] = int(count)
    adopted = await adoption.summaries(session, [r["product_id"] for r in rows])
    items = [{k: v for k, v in r.items() if k not in ("document", "total_matching")} | {"adoption": adopted[r["product_id"]]}
             for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "facets": {name: dict(sorted(counts.items())) for name, counts in facets.items()}, "query": text_query}


def _facet_counts(conditions: list[Any]) -> Any:
    """Every facet's counts over the matching products, in one statement (the matching set computed once)."""
    columns = [*ARRAY_FACETS.values(), *SCALAR_FACETS.values()]
    matched = select(*columns).where(*conditions).cte("matched")
    parts: list[Any] = []
    for name, column in ARRAY_FACETS.items():
        values = select(func.unnest(matched.c[column.name]).label("value")).subquery()
        parts.append(select(literal(name, String).label("facet"), values.c.value, func.count().label("n"))
                     .group_by(values.c.value))
    for name, column in SCALAR_FACETS.items():
        held = matched.c[column.name]
        parts.append(select(literal(name, String).label("facet"), cast(held, String).label("value"), func.count().label("n"))
                     .where(held.is_not(None)).group_by(held))
    return union_all(*parts)


async def showcased(session: AsyncSession, product_id: str) -> dict[str, Any]:
    """A listed product as the public sees it: its version in force (404 for anything not listed)."""
    row = (await session.execute(select(product_search).where(product_search.c.product_id == product_id))).mappings().first()
    if row is None:
        raise not_found("product", product_id)
    version = (await session.execute(select(product_versions.c.content).where(
        product_versions.c.product_id == product_id, product_versions.c.number == row["version"]))).scalar_one()
    return {k: v for k, v in dict(row).items() if k != "document"} | {
        "content": version, "adoption": await adoption.product_adoption(session, product_id)}


