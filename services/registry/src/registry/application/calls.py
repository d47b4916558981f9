"""Use cases on calls (征集): create and edit a draft, open, close, read. They take a session and never commit.

The call's rules — kind with its category or pilot sector from the jurisdiction, intake window, rubric, cut rule,
panel size — are checked by ``domain.calls.CallConfig`` before anything is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import CALL_CLOSED, CALL_OPENED, CallClosed, CallOpened
from sihua_shared.errors import DomainError, Kind, not_found
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event

from ..adapters.call_tables import calls
from ..domain import access as policy
from ..domain.call_state import CallAction, CallState, call_actions, call_transition
from ..domain.calls import CallConfig, CallKind, IntakeWindow, Rubric, key_platform_rubric_template, rubric_from_rows, rubric_rows
from ..domain.ranking import CutRule
from .deadlines import cancel_call_intake_reminders

# What a call stores beyond its id, state and bookkeeping.
CONFIG_FIELDS = (
    "kind", "category", "sector", "title", "description", "opens_on", "closes_on", "required_materials", "rubric",
    "experts_per_application", "pass_mark", "quota", "spread_limit", "review_days", "field_matching", "publicity_working_days",
)


def _check_materials(materials: list[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for i, material in enumerate(materials):
        if material["code"] in seen:
            raise DomainError("material_code_duplicate", "申报材料代码重复", f"material code {material['code']!r} is repeated",
                              field=f"required_materials[{i}].code")
        seen.add(material["code"])


def check_config(spec: Mapping[str, Any], jurisdiction: Jurisdiction) -> dict[str, Any]:
    """The stored columns of a call from the request's shape (``window``, ``rubric.criteria``, ``cut_rule``).

    Raises a 422 problem naming the field (``body.rubric.criteria[1].weight``…) when a rule is broken.
    """
    try:
        window = IntakeWindow(spec["window"]["opens_on"], spec["window"].get("closes_on"))
        rows = (spec.get("rubric") or {}).get("criteria")
        if rows is None and spec["kind"] == CallKind.KEY_PLATFORM.value:
            rubric: Rubric = key_platform_rubric_template()
        else:
            rubric = rubric_from_rows(rows or [])
        cut = spec.get("cut_rule") or {}
        rule = CutRule(cut.get("pass_mark"), cut.get("quota"))
        config = CallConfig(
            kind=str(spec["kind"]), title=spec["title"], window=window, rubric=rubric, cut_rule=rule,
            experts_per_application=spec["experts_per_application"], category=spec.get("category"), sector=spec.get("sector"),
        )
        config.validate_for(jurisdiction)
        _check_materials(spec["required_materials"])
    except DomainError as exc:
        raise exc.at("body") from exc
    return {
        "kind": config.kind, "category": config.category, "sector": config.sector, "title": config.title,
        "description": spec.get("description", ""), "opens_on": window.opens_on, "closes_on": window.closes_on,
        "required_materials": [dict(m) for m in spec["required_materials"]], "rubric": rubric_rows(rubric),
        "experts_per_application": config.experts_per_application, "pass_mark": rule.pass_mark, "quota": rule.quota,
        "spread_limit": Decimal(spec["spread_limit"]), "review_days": spec["review_days"],
        "field_matching": spec["field_matching"], "publicity_working_days": spec.get("publicity_working_days"),
    }


def as_spec(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored call in the request's shape (the base a PATCH is merged onto)."""
    spec = {name: row[name] for name in CONFIG_FIELDS if name not in ("opens_on", "closes_on", "rubric", "pass_mark", "quota")}
    spec["window"] = {"opens_on": row["opens_on"], "closes_on": row["closes_on"]}
    spec["rubric"] = {"criteria": row["rubric"]}
    spec["cut_rule"] = {"pass_mark": row["pass_mark"], "quota": row["quota"]}
    return spec


def call_rubric(row: Mapping[str, Any]) -> Rubric:
    return rubric_from_rows(row["rubric"])


def call_view(row: Mapping[str, Any], actor: Actor | None) -> dict[str, Any]:
    """The call as ``actor`` (None: the public) reads it: ``allowed_actions`` are the steps this caller may take."""
    view = as_spec(row)
    state = CallState(row["state"])
    mine = [a.value for a in call_actions(state) if actor is not None and policy.call_step(actor, a)]
    view.update(id=row["id"], state=state.value, state_zh=state.label_zh, allowed_actions=mine,
                assignment_seed=row["assignment_seed"], version=row["version"], created_at=row["created_at"],
                updated_at=row["updated_at"])
    return view


async def create_call(session: AsyncSession, actor: Actor, spec: Mapping[str, Any], jurisdiction: Jurisdiction) -> dict[str, Any]:
    values = {"id": str(uuid.uuid4()), **check_config(spec, jurisdiction), "state": CallState.DRAFT.value,
              "created_by": actor.id, "version": 1}
    row = (await session.execute(calls.insert().values(**values).returning(calls))).mappings().one()
    await audit(session, actor, "call.create", "call", values["id"], after=dict(row))
    return dict(row)


async def find_call(session: AsyncSession, call_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(calls).where(calls.c.id == call_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("call", call_id)
    return dict(row)


async def visible_call(session: AsyncSession, actor: Actor, call_id: str) -> dict[str, Any]:
    row = await find_call(session, call_id)
    if row["state"] == CallState.DRAFT.value and not policy.draft_calls(actor):
        raise not_found("call", call_id)  # a draft is not published: it does not exist for the public
    return row


async def _store(session: AsyncSession, actor: Actor, before: dict[str, Any], action: str, **values: Any) -> dict[str, Any]:
    values = {**values, "version": before["version"] + 1, "updated_at": func.now()}
    row = (await session.execute(update(calls).where(calls.c.id == before["id"]).values(**values).returning(calls))).mappings().one()
    await audit(session, actor, action, "call", before["id"], before=before, after=dict(row))
    return dict(row)


async def edit_call(
    session: AsyncSession, actor: Actor, before: dict[str, Any], patch: Mapping[str, Any], jurisdiction: Jurisdiction
) -> dict[str, Any]:
    """Change a draft; only the fields sent change, and the whole call is checked again."""
    _transition(before, CallAction.EDIT)
    merged = as_spec(before)
    for name, value in patch.items():
        merged[name] = {**merged[name], **value} if name in ("window", "cut_rule") and value is not None else value
    return await _store(session, actor, before, "call.edit", **check_config(merged, jurisdiction))


def _transition(row: Mapping[str, Any], action: CallAction) -> CallState:
    try:
        return call_transition(row["state"], action)
    except DomainError as exc:
        raise exc.at("body") from exc


async def open_call(session: AsyncSession, actor: Actor, before: dict[str, Any], *, on: date) -> dict[str, Any]:
    """Publish a draft on or after its ``opens_on`` (the business date ``on``, in the jurisdiction's time zone)."""
    state = _transition(before, CallAction.OPEN)
    if on < before["opens_on"]:
        raise DomainError("call_opens_later", f"该征集定于{before['opens_on'].isoformat()}开始，不能提前发布",
                          f"the call opens on {before['opens_on'].isoformat()}, not before", field="window.opens_on",
                          kind=Kind.CONFLICT, details={"opens_on": before["opens_on"].isoformat()})
    row = await _store(session, actor, before, "call.open", state=state.value)
    payload = CallOpened(
        call_id=row["id"], kind=row["kind"], category=row["category"], sector=row["sector"], title=row["title"],
        opens_on=row["opens_on"], closes_on=row["closes_on"], experts_per_application=row["experts_per_application"],
    )
    await record_event(session, CALL_OPENED, payload, subject=row["id"], aggregate_version=row["version"])
    return row


async def close_call(session: AsyncSession, actor: Actor, before: dict[str, Any], *, on: date, reason: str) -> dict[str, Any]:
    state = _transition(before, CallAction.CLOSE)
    row = await _store(session, actor, before, "call.close", state=state.value)
    await cancel_call_intake_reminders(session, row["id"])
    await record_event(session, CALL_CLOSED, CallClosed(call_id=row["id"], closed_on=on, reason=reason),
                       subject=row["id"], aggregate_version=row["version"])
    return row


async def list_calls(
    session: AsyncSession, actor: Actor | None, *, limit: int, offset: int, state: str | None = None, kind: str | None = None,
    open_on: date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Signed-in users see published calls (officials drafts too); ``open_on`` keeps those taking applications that day."""
    conditions: list[ColumnElement[bool]] = []
    if actor is None or not policy.draft_calls(actor):
        conditions.append(calls.c.state != CallState.DRAFT.value)
    if state is not None:
        conditions.append(calls.c.state == state)
    if kind is not None:
        conditions.append(calls.c.kind == kind)
    if open_on is not None:
        conditions += [calls.c.state == CallState.OPEN.value, calls.c.opens_on <= open_on,
                       or_(calls.c.closes_on.is_(None), calls.c.closes_on >= open_on)]
    total = (await session.execute(select(func.count()).select_from(calls).where(*conditions))).scalar_one()
    found = await session.execute(
        select(calls).where(*conditions).order_by(calls.c.created_at.desc(), calls.c.id).limit(limit).offset(offset)
    )
    return [dict(r) for r in found.mappings()], int(total)
