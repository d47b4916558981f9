"""Objections (异议) during publicity: any signed-in user files one with reasons while publicity runs; a city officer
resolves it. An upheld objection rejects the application it concerns; an open one blocks the final decision."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import OBJECTION_FILED, OBJECTION_RESOLVED, ObjectionFiled, ObjectionResolved
from sihua_shared.errors import DomainError, Kind, conflict, invalid, not_found
from sihua_shared.outbox import record_event

from ..adapters.call_tables import objections
from ..domain import access as policy
from ..domain.access import FILED_BY
from ..domain.call_application_state import ApplicationAction, ApplicationState
from .access import OBJECTION_COLUMNS, ensure
from .call_applications import find_application
from .deadlines import PUBLICITY_ENDING
from .notifications import cancel_reminders
from .publicity import decide, running_publicity


def objection_view(row: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    view = {k: row[k] for k in ("id", "publicity_id", "application_id", "call_id", "organisation_id", "reasons", "state", "resolution",
                                "resolved_at", "version", "created_at")}
    if policy.sees_objectors(actor):
        view["filed_by"] = row["filed_by"]  # who objected is for officials only
    return view


async def file_objection(
    session: AsyncSession, actor: Actor, call_id: str, *, application_id: str, reasons: str, on: date
) -> dict[str, Any]:
    publicity = await running_publicity(session, call_id)
    if publicity is None or not publicity["starts_on"] <= on <= publicity["ends_on"]:
        raise conflict("publicity_not_running", "当前不在公示期内，不能提出异议", "objections are taken only while publicity runs")
    try:
        application: dict[str, Any] | None = await find_application(session, application_id)
    except DomainError as exc:
        if exc.kind is not Kind.NOT_FOUND:
            raise
        application = None  # named in the body: a field error, like one of another call
    if application is None or application["publicity_id"] != publicity["id"] or application["state"] != ApplicationState.PUBLICITY.value:
        raise invalid("body.application_id", "该申报不在本次公示名单中", "the application is not publicised here", "not_in_publicity")
    values = {"id": str(uuid.uuid4()), "publicity_id": publicity["id"], "application_id": application_id, "call_id": call_id,
              "organisation_id": application["organisation_id"], "filed_by": actor.id, "filed_by_org": actor.org,
              "reasons": reasons.strip(), "state": "open", "version": 1}
    row = (await session.execute(objections.insert().values(**values).returning(objections))).mappings().one()
    payload = ObjectionFiled(objection_id=values["id"], application_id=application_id, call_id=call_id,
                             organisation_id=application["organisation_id"], filed_by_account_id=actor.id)
    await record_event(session, OBJECTION_FILED, payload, subject=values["id"], aggregate_version=1)
    await audit(session, actor, "objection.file", "objection", values["id"], after=values)
    return dict(row)


async def find_objection(session: AsyncSession, objection_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(objections).where(objections.c.id == objection_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("objection", objection_id)
    return dict(row)


def ensure_may_see_objection(actor: Actor, row: Mapping[str, Any]) -> None:
    ensure(policy.objections(actor), {FILED_BY: row["filed_by"]}, not_found("objection", row["id"]))


async def resolve_objection(
    session: AsyncSession, actor: Actor, before: Mapping[str, Any], *, upheld: bool, resolution: str, on: date
) -> dict[str, Any]:
    if before["state"] != "open":
        raise conflict("transition_not_allowed", "该异议已处理", f"the objection is already {before['state']}",
                       state=before["state"], allowed=[])
    values = {"state": "upheld" if upheld else "dismissed", "resolution": resolution.strip(), "resolved_by": actor.id,
              "resolved_at": func.now(), "version": before["version"] + 1}
    row = (await session.execute(update(objections).where(objections.c.id == before["id"]).values(**values)
                                 .returning(objections))).mappings().one()
    if upheld:
        application = await find_application(session, before["application_id"], lock=True)
        if application["state"] == ApplicationState.PUBLICITY.value:  # not withdrawn meanwhile
            await decide(session, actor, application, ApplicationAction.REJECT, on=on)
            await cancel_reminders(session, ref_id=application["id"], kind=PUBLICITY_ENDING)  # off the list: nothing to await
    payload = ObjectionResolved(objection_id=row["id"], application_id=row["application_id"], call_id=row["call_id"],
                                organisation_id=row["organisation_id"], upheld=upheld, resolution=row["resolution"])
    await record_event(session, OBJECTION_RESOLVED, payload, subject=row["id"], aggregate_version=row["version"])
    await audit(session, actor, "objection.resolve", "objection", row["id"], before=dict(before), after=dict(row))
    return dict(row)


async def list_objections(
    session: AsyncSession, actor: Actor, call_id: str, *, limit: int, offset: int, state: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    conditions = [objections.c.call_id == call_id, where(policy.objections(actor), OBJECTION_COLUMNS)]
    if state is not None:
        conditions.append(objections.c.state == state)
    total = (await session.execute(select(func.count()).select_from(objections).where(*conditions))).scalar_one()
    found = await session.execute(select(objections).where(*conditions).order_by(objections.c.created_at, objections.c.id)
                                  .limit(limit).offset(offset))
    return [dict(r) for r in found.mappings()], int(total)
