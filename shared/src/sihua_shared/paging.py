"""One page of a list query and the count of all its rows, for the list envelope ``{items, total, limit, offset}``:
the total counts exactly what the page is cut from (the same query, its order dropped)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_page(session: AsyncSession, query: Select[Any], *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``query`` from ``offset``, at most ``limit`` of them, as dicts in its order, and its total."""
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    found = await session.execute(query.limit(limit).offset(offset))
    return [dict(r) for r in found.mappings()], int(total)
