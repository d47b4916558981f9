"""One step of a row's lifecycle, the way the alliance use cases take them: the machine decides the next state
(409 naming the allowed actions otherwise), the row gets it with its version bumped and the step's values, and the
change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.statemachine import Machine


async def take_step(
    session: AsyncSession,
    actor: Actor,
    table: Table,
    machine: Machine[Any, Any],
    before: Mapping[str, Any],
    action: str,
    values: Mapping[str, Any],
    *,
    entity_type: str,
    audit_prefix: str,
) -> dict[str, Any]:
    target = machine.step(before["state"], action)
    changed = await session.execute(
        update(table).where(table.c.id == before["id"])
        .values(state=str(target), version=table.c.version + 1, updated_at=now_utc(), **values).returning(table)
    )
    after = dict(changed.mappings().one())
    await audit(session, actor, f"{audit_prefix}.{action}", entity_type, before["id"], before=dict(before), after=after)
    return after
