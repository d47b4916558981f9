"""Assigning review panels (遴选): random but reproducible, free of conflicts, one chair; recusal and replacement.

The call records one seed (given by the officer, or drawn at the first assignment); each application's panel seed is
derived from it (``sihua_shared.panel.panel_seed``) and recorded with the whole draw on the application, so that anyone
can re-run the draw and see who was excluded and why. Conflicts come from the organisations' declared
relationships (``relationships.relationships_around``): an expert of the applicant's own organisation or of any
organisation related to it never sits on its panel.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import EXPERT_ASSIGNED, ExpertAssigned
from sihua_shared.errors import DomainError, conflict, forbidden
from sihua_shared.outbox import record_event
from sihua_shared.panel import ApplicationRef, ConflictGraph, FieldMatching, Panel, assign_panel, panel_seed, replace_declined

from ..adapters.call_tables import applications, calls, panel_members
from ..domain.call_application_state import ApplicationState
from .call_applications import find_application, store_application
from .expert_pool import active_pool, recorded_pool
from .notifications import cancel_reminders
from .relationships import relationships_around


def _reference(application: Mapping[str, Any]) -> ApplicationRef:
    return ApplicationRef(application["id"], application["organisation_id"], frozenset(application["fields"] or ()))


def _record(panel: Panel, call_seed: int, matching: str) -> dict[str, Any]:
    return {"call_seed": call_seed, "seed": panel.seed, "field_matching": matching, "members": list(panel.members),
            "chair": panel.chair, "draw_order": list(panel.draw_order), "declined": sorted(panel.declined),
            "excluded": [{"expert_id": e.expert_id, "reason": e.reason.value, "reason_zh": e.reason.label_zh} for e in panel.excluded]}


async def _call_seed(session: AsyncSession, actor: Actor, call: Mapping[str, Any], wanted: int | None) -> int:
    if call["assignment_seed"] is not None:
        if wanted is not None and wanted != call["assignment_seed"]:
            raise conflict("seed_already_recorded", "本征集已记录抽取种子，不能更改", "the call's draw seed is already recorded",
                           field="body.seed", seed=str(call["assignment_seed"]))
        return int(call["assignment_seed"])
    seed = wanted if wanted is not None else secrets.randbits(62)
    # the call changes, so its version (and ETag) does
    await session.execute(update(calls).where(calls.c.id == call["id"])
                          .values(assignment_seed=seed, version=calls.c.version + 1, updated_at=func.now()))
    await audit(session, actor, "call.record_seed", "call", call["id"], after={"assignment_seed": seed})
    return seed


async def _add_members(
    session: AsyncSession, call: Mapping[str, Any], application_id: str, experts: list[str], chair: str, due_on: date, seed: int,
) -> None:
    for expert_id in experts:
        await session.execute(panel_members.insert().values(
            id=str(uuid.uuid4()), application_id=application_id, call_id=call["id"], expert_id=expert_id,
            chair=expert_id == chair, status="assigned", due_on=due_on))
        payload = ExpertAssigned(application_id=application_id, call_id=call["id"], expert_account_id=expert_id,
                                 chair=expert_id == chair, due_on=due_on, assignment_seed=seed)
        await record_event(session, EXPERT_ASSIGNED, payload, subject=application_id)


async def assign_application(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], application: Mapping[str, Any], *,
    on: date, due_on: date | None = None, seed: int | None = None,
) -> dict[str, Any]:
    """Draw the panel of one application in expert review."""
    if application["state"] != ApplicationState.EXPERT_REVIEW.value:
        raise conflict("not_in_expert_review", "申报未处于专家评审阶段", "the application is not in expert review",
                       state=application["state"])
    if application["panel"] is not None:
        raise conflict("panel_exists", "该申报已分配评审专家", "the application already has a panel")
    call_seed = await _call_seed(session, actor, call, seed)
    graph = ConflictGraph(await relationships_around(session, [application["organisation_id"]]))
    matching = FieldMatching(call["field_matching"])
    try:
        panel = assign_panel(_reference(application), await active_pool(session), size=call["experts_per_application"],
                             seed=panel_seed(call_seed, application["id"]), graph=graph, field_matching=matching)
    except DomainError as exc:
        raise exc.at("body") from exc
    due = due_on or on + timedelta(days=call["review_days"])
    await _add_members(session, call, application["id"], list(panel.members), panel.chair, due, panel.seed)
    return await store_application(session, actor, application, "application.assign_panel", panel=_record(panel, call_seed, matching.value))


async def assign_call(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], *, on: date, due_on: date | None = None, seed: int | None = None,
) -> list[dict[str, Any]]:
    """Draw a panel for every application of the call in expert review that has none yet."""
    waiting = await session.execute(
        select(applications.c.id).where(applications.c.call_id == call["id"], applications.c.state == ApplicationState.EXPERT_REVIEW.value,
                                        applications.c.panel.is_(None)).order_by(applications.c.id))
    assigned = []
    for (application_id,) in waiting.all():
        application = await find_application(session, application_id, lock=True)
        assigned.append(await assign_application(session, actor, call, application, on=on, due_on=due_on, seed=seed))
        call = {**call, "assignment_seed": application_seed(assigned[-1])}
    return assigned


def application_seed(application: Mapping[str, Any]) -> int:
    return int(application["panel"]["call_seed"])


async def active_members(session: AsyncSession, application_id: str, *, with_declined: bool = False) -> list[dict[str, Any]]:
    query = select(panel_members).where(panel_members.c.application_id == application_id)
    if not with_declined:
        query = query.where(panel_members.c.status != "declined")
    found = await session.execute(query.order_by(panel_members.c.assigned_at, panel_members.c.expert_id))
    return [dict(r) for r in found.mappings()]


async def recuse(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], application: Mapping[str, Any], *, reason: str, on: date,
) -> dict[str, Any]:
    """An expert declares a conflict and leaves the panel; the next eligible expert of the same draw joins."""
    if application["state"] != ApplicationState.EXPERT_REVIEW.value:
        raise conflict("not_in_expert_review", "申报已不在专家评审阶段，不能申请回避", "the review is over", state=application["state"])
    members = await active_members(session, application["id"])
    me = next((m for m in members if m["expert_id"] == actor.id), None)
    if me is None:
        raise forbidden("您不是该申报的评审专家", "you are not on this application's panel")
    record = application["panel"]
    experts, unavailable = await recorded_pool(session, record["draw_order"])
    current = [m["expert_id"] for m in members]
    chair = next((m["expert_id"] for m in members if m["chair"]), current[0])
    panel = Panel(application["id"], int(record["seed"]), tuple(current), chair, (), tuple(record["draw_order"]),
                  frozenset(record["declined"]) | unavailable)
    graph = ConflictGraph(await relationships_around(session, [application["organisation_id"]]))
    try:
        drawn = replace_declined(panel, actor.id, _reference(application), experts, graph=graph,
                                 field_matching=FieldMatching(record["field_matching"]))
    except DomainError as exc:
        raise exc.at("body") from exc
    staying = [e for e in current if e != actor.id]
    joining = [e for e in drawn.members if e not in current]
    new_chair = chair if chair != actor.id else (drawn.chair if drawn.chair in staying + joining else staying[0])
    await session.execute(update(panel_members).where(panel_members.c.id == me["id"])
                          .values(status="declined", decline_reason=reason, chair=False))
    if new_chair != chair:
        await session.execute(update(panel_members).where(panel_members.c.application_id == application["id"],
                                                          panel_members.c.expert_id == new_chair).values(chair=True))
    await _add_members(session, call, application["id"], joining, new_chair, me["due_on"], int(record["seed"]))
    await cancel_reminders(session, ref_id=application["id"], account_id=actor.id)
    record = {**record, "members": staying + joining, "chair": new_chair, "declined": sorted(drawn.declined),
              "recusals": [*record.get("recusals", []), {"expert_id": actor.id, "reason": reason, "on": on.isoformat()}]}
    return await store_application(session, actor, application, "application.recuse", panel=record)
