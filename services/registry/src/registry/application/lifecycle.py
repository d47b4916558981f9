"""The lifecycle of a row, the way the alliance use cases (clusters, ecosystem) keep theirs: a row is created audited,
found by id (404 otherwise, optionally locked), and takes steps — the machine decides the next state (409 naming the
allowed actions otherwise), the row gets it with its version bumped and the step's values, and the change is
audited; a step's fact has the row as its subject and the row's version as its aggregate version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.errors import not_found
from sihua_shared.events import EventPayload, EventSpec
from sihua_shared.outbox import record_event
from sihua_shared.statemachine import Machine


async def find_row(session: AsyncSession, table: Table, row_id: str, what: str, *, lock: bool = False) -> dict[str, Any]:
    """The row of ``table`` with ``row_id`` (``FOR UPDATE`` when ``lock``); 404 naming ``what`` otherwise."""
    query = select(table).where(table.c.id == row_id)
    found = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if found is None:
        raise not_found(what, row_id)
    return dict(found)


async def insert_row(
    session: AsyncSession, actor: Actor, table: Table, row: Mapping[str, Any], *, action: str, entity_type: str
) -> dict[str, Any]:
    """Inserts ``row`` and audits it as ``action``; returns the stored row."""
    stored = dict((await session.execute(table.insert().values(**row).returning(table))).mappings().one())
    await audit(session, actor, action, entity_type, stored["id"], after=stored)
    return stored


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


@dataclass(frozen=True)
class Lifecycle:
    """One kind of row with a state machine: its table, machine, what a 404 calls it, its audit entity type and the
    prefix of its audit actions (``<prefix>.<action>``)."""

    table: Table
    machine: Machine[Any, Any]
    what: str
    entity_type: str
    audit_prefix: str

    async def find(self, session: AsyncSession, row_id: str, *, lock: bool = False) -> dict[str, Any]:
        return await find_row(session, self.table, row_id, self.what, lock=lock)

    async def create(self, session: AsyncSession, actor: Actor, row: Mapping[str, Any], action: str) -> dict[str, Any]:
        return await insert_row(session, actor, self.table, row, action=f"{self.audit_prefix}.{action}",
                                entity_type=self.entity_type)

    async def step(
        self, session: AsyncSession, actor: Actor, before: Mapping[str, Any], action: Any, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Takes ``action`` (a machine action or its value) on ``before``, stamping ``values``."""
        return await take_step(session, actor, self.table, self.machine, before, getattr(action, "value", action), values,
                               entity_type=self.entity_type, audit_prefix=self.audit_prefix)

    async def publish(self, session: AsyncSession, spec: EventSpec[Any], payload: EventPayload, after: Mapping[str, Any]) -> None:
        """Records the fact of a step taken: the row is its subject, the row's version its aggregate version."""
        await record_event(session, spec, payload, subject=after["id"], aggregate_version=after["version"])
