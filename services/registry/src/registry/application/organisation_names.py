"""A row with the names of the organisations it refers to, as its views show them (one query for all of them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.tables import organisations


async def with_names(session: AsyncSession, row: Mapping[str, Any], **names: str) -> dict[str, Any]:
    """``row`` and, for each ``name_key="id_column"``, the name of the organisation ``row[id_column]`` (None if none)."""
    ids = [row[column] for column in names.values() if row[column] is not None]
    found: dict[str, str] = {}
    if ids:
        found = dict((await session.execute(
            select(organisations.c.id, organisations.c.name).where(organisations.c.id.in_(ids)))).all())
    return {**row, **{key: found.get(row[column]) for key, column in names.items()}}
