"""What the evaluation use cases share: the working-day calendar, models, cycles and results loaded with access
checks, the guarded update. Use cases take a session and never commit."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.calendar import WorkingDayCalendar
from sihua_shared.errors import DomainError, not_found, stale_version

from ..adapters.eval_tables import cycles, indicator_models
from ..domain.model import LoadedModel, parse_model, shipped_models


@lru_cache(maxsize=1)
def calendar() -> WorkingDayCalendar:
    """China's working days (sihua_shared.calendar holiday data): rectification and appeal windows count them."""
    return WorkingDayCalendar.from_file()


def ensure(scope: Scope, resource: Mapping[str, Any], refusal: DomainError) -> None:
    if not scope.admits(resource):
        raise refusal


async def ensure_shipped_models(session: AsyncSession) -> None:
    """The shipped models are rows like uploaded ones, so a cycle names a version either way."""
    for loaded in shipped_models().values():
        await session.execute(pg_insert(indicator_models).values(
            version_id=loaded.version, model_id=loaded.model.id, kind=loaded.model.kind, content=loaded.content,
            content_hash=loaded.content_hash, uploaded_by="system",
        ).on_conflict_do_nothing())


async def model_row(session: AsyncSession, version_id: str) -> dict[str, Any]:
    await ensure_shipped_models(session)
    row = (await session.execute(select(indicator_models).where(indicator_models.c.version_id == version_id))).mappings().first()
    if row is None:
        raise not_found("indicator model", version_id)
    return dict(row)


async def load_model(session: AsyncSession, version_id: str) -> LoadedModel:
    return parse_model((await model_row(session, version_id))["content"])


async def get_cycle(session: AsyncSession, cycle_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(cycles).where(cycles.c.id == cycle_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("evaluation cycle", cycle_id)
    return dict(row)


async def guarded_update(session: AsyncSession, table: Table, row: Mapping[str, Any], what: tuple[str, str],
                         **values: Any) -> dict[str, Any]:
    """Update a versioned row from the version the caller read; a concurrent change answers 412."""
    done = (await session.execute(
        update(table).where(table.c.id == row["id"], table.c.version == row["version"])
        .values(**values, version=table.c.version + 1).returning(table.c.version)
    )).first()
    if done is None:
        raise stale_version(*what)
    return {**row, **values, "version": row["version"] + 1}
