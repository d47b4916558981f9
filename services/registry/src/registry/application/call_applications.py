"""Use cases on applications (申报): create and edit a draft, read, list — and who may see which.

An applicant sees its own organisation's applications only; an expert only those on whose panel they sit
(and have not recused from); a district officer those of organisations in their district; city officers and
auditors every one. They take a session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import TransitionNotAllowed, conflict, forbidden, not_found
from sihua_shared.jurisdiction import Jurisdiction

from ..adapters.call_tables import applications
from ..adapters.tables import organisations
from ..domain import access as policy
from ..domain.call_application_state import EDITABLE_STATES, ApplicationState, allowed_actions
from ..domain.call_state import CallState
from ..domain.titles import check_holder_kind
from ..domain.verification import is_verified, unverified_refusal
from .access import APPLICATION_COLUMNS, application_resource, ensure, owned_resource
from .deadlines import schedule_intake_reminders
from .titles import check_required_title

EDITABLE = ("title", "summary", "fields", "content")
_WITH_ORG = (applications, organisations.c.name.label("organisation_name"), organisations.c.uscc,
             organisations.c.district)


def application_view(row: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """The application as ``actor`` reads it: ``allowed_actions`` are the state machine's next steps this caller may take."""
    state = ApplicationState(row["state"])
    resource = owned_resource(row)
    mine = [a.value for a in allowed_actions(state) if policy.application_step(actor, a).admits(resource)]
    view = {name: row.get(name) for name in (
        "id", "call_id", "organisation_id", "organisation_name", "uscc", "district", "title", "summary", "fields", "content",
        "return_reasons", "submitted_at", "final_score", "score_spread", "needs_chair_review", "chair_confirmed_at", "rank",
        "publicity_id", "decided_on", "version", "created_at", "updated_at")}
    view.update(state=state.value, state_zh=state.label_zh, allowed_actions=mine)
    return view


async def find_application(session: AsyncSession, application_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(*_WITH_ORG).join(organisations, organisations.c.id == applications.c.organisation_id)
    query = query.where(applications.c.id == application_id)
    if lock:
        query = query.with_for_update(of=applications)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise not_found("application", application_id)
    return dict(row)


async def ensure_may_see(session: AsyncSession, actor: Actor, row: Mapping[str, Any]) -> None:
    ensure(policy.applications(actor), await application_resource(session, row),
           forbidden("无权查看该申报", "you may not see this application"))


def ensure_applicant(actor: Actor, row: Mapping[str, Any]) -> None:
    ensure(policy.applicant(actor), owned_resource(row),
           forbidden("只有申报单位可以办理该操作", "only the applicant organisation may do this"))


def ensure_official_for(actor: Actor, row: Mapping[str, Any]) -> None:
    """City officers act on every application; a district officer on those of their district."""
    ensure(policy.in_charge(actor), owned_resource(row), forbidden("只有主管部门可以办理该操作", "only officials in charge may do this"))


def _not_editable(row: Mapping[str, Any]) -> TransitionNotAllowed:
    state = ApplicationState(row["state"])
    return TransitionNotAllowed(state, "edit", allowed_actions(state), message_zh=f"申报当前状态为“{state.label_zh}”，不能修改",
                                message_en=f"cannot edit in state {state.value}")


def ensure_editable(row: Mapping[str, Any]) -> None:
    if ApplicationState(row["state"]) not in EDITABLE_STATES:
        raise _not_editable(row)


async def create_application(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], content: Mapping[str, Any], *, on: date,
    jurisdiction: Jurisdiction,
) -> dict[str, Any]:
    """A draft for the actor's organisation; one live application per organisation and call. The applicant is reminded
    before a dated call closes while the application is not submitted (``deadlines``)."""
    if not policy.may_apply(actor):
        raise forbidden("只有企业或服务机构账号可以申报", "only an enterprise or provider account may apply")
    if call["state"] != CallState.OPEN.value:
        raise conflict("call_not_open", "该征集未在征集中，不能申报", "the call is not open for applications", field="path.call_id")
    organisation = (await session.execute(select(organisations).where(organisations.c.id == actor.org))).mappings().first()
    if organisation is None:
        raise not_found("organisation", str(actor.org))
    if not is_verified(organisation["verification"]):
        raise unverified_refusal("申报", "apply to a call")
    # who may apply is who may hold the call's title (the jurisdiction's ``holders``; S2 三(一) lets an enterprise be a
    # traction unit); agencies never apply
    check_holder_kind(jurisdiction, call["kind"], organisation["kind"])
    # a kind chosen among the holders of another (优秀数字化牵引单位, S2 五(九)) takes applications from them only
    await check_required_title(session, jurisdiction, call["kind"], organisation["id"], on)
    values = {"id": str(uuid.uuid4()), "call_id": call["id"], "organisation_id": actor.org, "state": ApplicationState.DRAFT.value,
              "created_by": actor.id, "version": 1, **{k: content[k] for k in EDITABLE if k in content}}
    statement = pg_insert(applications).values(**values).on_conflict_do_nothing().returning(applications.c.id)
    inserted = (await session.execute(statement)).first()
    if inserted is None:
        raise conflict("application_exists", "本单位已有该征集的有效申报", "your organisation already has a live application to this call",
                       field="path.call_id")
    row = await find_application(session, values["id"])
    await audit(session, actor, "application.create", "application", row["id"], after=application_view(row, actor))
    await schedule_intake_reminders(session, call, row, on=on)
    return row


async def store_application(
    session: AsyncSession, actor: Actor, before: Mapping[str, Any], action: str, **values: Any
) -> dict[str, Any]:
    """Write ``values`` with the next version, audit the change, and answer the row as it now is."""
    await session.execute(update(applications).where(applications.c.id == before["id"])
                          .values(**values, version=before["version"] + 1, updated_at=func.now()))
    row = await find_application(session, before["id"])
    after = application_view(row, actor) | ({"panel": row["panel"]} if "panel" in values else {})
    await audit(session, actor, action, "application", before["id"], before=application_view(before, actor), after=after)
    return row


async def edit_application(session: AsyncSession, actor: Actor, before: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    ensure_applicant(actor, before)
    ensure_editable(before)
    return await store_application(session, actor, before, "application.edit", **{k: v for k, v in patch.items() if k in EDITABLE})


async def list_applications(
    session: AsyncSession, actor: Actor, *, limit: int, offset: int, call_id: str | None = None, state: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    conditions: list[ColumnElement[bool]] = [where(policy.applications(actor), APPLICATION_COLUMNS)]
    if call_id is not None:
        conditions.append(applications.c.call_id == call_id)
    if state is not None:
        conditions.append(applications.c.state == state)
    joined = applications.join(organisations, organisations.c.id == applications.c.organisation_id)
    total = (await session.execute(select(func.count()).select_from(joined).where(*conditions))).scalar_one()
    found = await session.execute(select(*_WITH_ORG).select_from(joined).where(*conditions)
                                  .order_by(applications.c.created_at, applications.c.id).limit(limit).offset(offset))
    return [dict(r) for r in found.mappings()], int(total)
