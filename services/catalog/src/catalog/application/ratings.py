"""Ratings (评价): an enterprise that adopted a product version (a delivered group purchase or a contract line of a
funded project) rates it once per version, 1–5 with a comment; a city officer hides a comment with a reason
(the score still counts). The showcase sorts by the mean score (``rating_order``; adoption and outcome:
``application/adoption.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.catalog import PRODUCT_RATED, ProductRated
from sihua_shared.errors import conflict, forbidden, not_found
from sihua_shared.outbox import record_event

from ..adapters.matching import adoptions, product_ratings
from ..adapters.tables import products
from ..domain import access as policy

r = product_ratings.c


async def rate(session: AsyncSession, actor: Actor, product_id: str, version: int, score: int, comment: str) -> dict[str, Any]:
    if actor.org is None or not actor.has(*policy.RATERS):
        raise forbidden("只有采用该产品的企业可以评价", "only an adopting enterprise rates")
    if (await session.execute(select(products.c.id).where(products.c.id == product_id))).first() is None:
        raise not_found("product", product_id)
    adopted = (await session.execute(select(adoptions.c.enterprise_id).where(
        adoptions.c.enterprise_id == actor.org, adoptions.c.product_id == product_id,
        adoptions.c.product_version == version))).first()
    if adopted is None:
        raise forbidden("企业未采用该产品版本，不能评价", "the enterprise has not adopted this product version",
                        code="not_adopter")
    if (await session.execute(select(r.id).where(r.product_id == product_id, r.product_version == version,
                                                 r.enterprise_id == actor.org))).first():
        raise conflict("already_rated", "该产品版本已评价过", "the enterprise rated this version already")
    today = business_clock(session).today()
    rating_id = str(uuid.uuid4())
    row: dict[str, Any] = {"id": rating_id, "product_id": product_id, "product_version": version, "enterprise_id": actor.org,
           "score": score, "comment": comment, "rated_by": actor.id, "rated_on": today, "version": 1}
    await session.execute(product_ratings.insert().values(**row))
    await record_event(session, PRODUCT_RATED, ProductRated(
        rating_id=rating_id, product_id=product_id, version=version, enterprise_id=str(actor.org), score=score,
        rated_on=today), subject=product_id)
    await audit(session, actor, "product.rate", "product_rating", rating_id, after=row)
    return await get_rating(session, actor, rating_id)


def _view(actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    hidden = row["hidden_reason"] is not None
    if hidden and not policy.sees_hidden_comments(actor) and row["enterprise_id"] != actor.org:
        return row | {"comment": None, "hidden_reason": None, "hidden_by": None, "hidden": True}
    return row | {"hidden": hidden}


async def get_rating(session: AsyncSession, actor: Actor, rating_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(product_ratings).where(r.id == rating_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("rating", rating_id)
    return _view(actor, dict(row))


async def list_ratings(session: AsyncSession, actor: Actor, product_id: str, *, limit: int, offset: int) -> dict[str, Any]:
    condition = r.product_id == product_id
    total, mean = (await session.execute(select(func.count(), func.avg(r.score)).where(condition))).one()
    rows = await session.execute(select(product_ratings).where(condition)
                                 .order_by(r.rated_on.desc(), r.id).limit(limit).offset(offset))
    return {"items": [_view(actor, dict(x)) for x in rows.mappings()], "total": int(total), "limit": limit,
            "offset": offset, "mean_score": None if mean is None else f"{mean:.2f}"}


async def hide(session: AsyncSession, actor: Actor, rating_id: str, row: dict[str, Any], reason: str) -> dict[str, Any]:
    if not actor.has(*policy.MODERATORS):
        raise forbidden("只有市级主管部门可以隐藏评价", "only a city officer hides comments")
    if row["hidden"]:
        raise conflict("already_hidden", "评价已隐藏", "the comment is hidden already")
    today = business_clock(session).today()
    await session.execute(update(product_ratings).where(r.id == rating_id).values(
        hidden_reason=reason, hidden_by=actor.id, hidden_on=today, version=row["version"] + 1))
    await audit(session, actor, "product_rating.hide", "product_rating", rating_id,
                before={"hidden_reason": None}, after={"hidden_reason": reason})
    return await get_rating(session, actor, rating_id)


def rating_order(product_id: Any) -> list[ColumnElement[Any]]:
    """The showcase's "rating" sort: the mean score, best first (unrated last), then the number of ratings."""
    mean = select(func.avg(r.score)).where(r.product_id == product_id).scalar_subquery()
    count = select(func.count()).where(r.product_id == product_id).scalar_subquery()
    return [mean.desc().nulls_last(), count.desc()]

