"""The applicant's and the officials' steps on an application: submit (or resubmit), withdraw, the formal check.

Every step goes through ``domain.call_application_state.transition``: a step the state does not allow answers 409 with
the allowed ones. The caller has checked ``If-Match``. They take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import (
    APPLICATION_RETURNED,
    APPLICATION_SUBMITTED,
    ApplicationReturned,
    ApplicationSubmitted,
)
from sihua_shared.errors import DomainError, Kind, Problem
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event

from ..adapters.call_tables import application_attachments
from ..domain.call_application_state import ApplicationAction, ApplicationState, transition
from ..domain.call_state import CallState
from ..domain.calls import IntakeWindow
from .call_applications import ensure_applicant, ensure_official_for, store_application
from .calls import find_call
from .deadlines import cancel_intake_reminders, schedule_intake_reminders
from .notifications import cancel_reminders

A = ApplicationAction


def next_state(row: Mapping[str, Any], action: ApplicationAction, reasons: Sequence[str] = ()) -> ApplicationState:
    try:
        return transition(row["state"], action, reasons=reasons)
    except DomainError as exc:
        raise exc.at("body") from exc


def _require_intake(call: Mapping[str, Any], on: date, jurisdiction: Jurisdiction) -> None:
    """Open in the jurisdiction's time zone on the business date ``on``, and not closed by an officer."""
    window = IntakeWindow(call["opens_on"], call["closes_on"])
    try:
        if call["state"] != CallState.OPEN.value:
            raise DomainError("call_not_open", "该征集已截止或尚未发布", "the call is not taking applications", field="call",
                              kind=Kind.CONFLICT)
        window.require_open_at(datetime.combine(on, time(12), tzinfo=jurisdiction.zone), jurisdiction.zone)
    except DomainError as exc:
        raise exc.at("body") from exc


async def _missing_materials(session: AsyncSession, call: Mapping[str, Any], application_id: str) -> list[Mapping[str, Any]]:
    found = await session.execute(select(application_attachments.c.material_code).distinct()
                                  .where(application_attachments.c.application_id == application_id))
    present = {r[0] for r in found}
    return [m for m in call["required_materials"] if m.get("required", True) and m["code"] not in present]


async def submit_application(
    session: AsyncSession, actor: Actor, before: Mapping[str, Any], call: Mapping[str, Any], *, on: date, jurisdiction: Jurisdiction
) -> dict[str, Any]:
    """Submit a draft, or resubmit a returned application, with every required material attached."""
    ensure_applicant(actor, before)
    action = A.RESUBMIT if before["state"] == ApplicationState.RETURNED.value else A.SUBMIT
    state = next_state(before, action)
    _require_intake(call, on, jurisdiction)
    missing = await _missing_materials(session, call, before["id"])
    if missing:
        raise DomainError(
            "materials_missing", "缺少申报材料", "required materials are missing: " + ", ".join(m["code"] for m in missing),
            problems=[Problem(f"attachments.{m['code']}", "material_missing", f"缺少申报材料：{m['name_zh']}",
                              f"missing material {m['code']}")
                      for m in missing],
        )
    row = await store_application(session, actor, before, f"application.{action.value}", state=state.value, submitted_at=func.now())
    await cancel_intake_reminders(session, row["id"])
    payload = ApplicationSubmitted(application_id=row["id"], call_id=row["call_id"], organisation_id=row["organisation_id"],
                                   uscc=row["uscc"], version=row["version"])
    await record_event(session, APPLICATION_SUBMITTED, payload, subject=row["id"], aggregate_version=row["version"])
    return row


async def withdraw_application(session: AsyncSession, actor: Actor, before: Mapping[str, Any]) -> dict[str, Any]:
    ensure_applicant(actor, before)
    state = next_state(before, A.WITHDRAW)
    await cancel_reminders(session, ref_id=before["id"])  # the panel has nothing left to score
    return await store_application(session, actor, before, "application.withdraw", state=state.value)


async def start_formal_check(session: AsyncSession, actor: Actor, before: Mapping[str, Any]) -> dict[str, Any]:
    ensure_official_for(actor, before)
    state = next_state(before, A.START_FORMAL_CHECK)
    return await store_application(session, actor, before, "application.start_formal_check", state=state.value)


async def pass_formal_check(session: AsyncSession, actor: Actor, before: Mapping[str, Any]) -> dict[str, Any]:
    ensure_official_for(actor, before)
    state = next_state(before, A.PASS_FORMAL_CHECK)
    return await store_application(session, actor, before, "application.pass_formal_check", state=state.value, return_reasons=None)


async def return_for_revision(
    session: AsyncSession, actor: Actor, before: Mapping[str, Any], reasons: Sequence[str], *, on: date,
) -> dict[str, Any]:
    """Back to the applicant with reasons; they are reminded again before a dated call closes."""
    ensure_official_for(actor, before)
    cleaned = [r.strip() for r in reasons if r.strip()]
    state = next_state(before, A.RETURN_FOR_REVISION, cleaned)
    row = await store_application(session, actor, before, "application.return_for_revision", state=state.value, return_reasons=cleaned)
    payload = ApplicationReturned(application_id=row["id"], call_id=row["call_id"], organisation_id=row["organisation_id"],
                                  reasons=cleaned, version=row["version"])
    await record_event(session, APPLICATION_RETURNED, payload, subject=row["id"], aggregate_version=row["version"])
    await schedule_intake_reminders(session, await find_call(session, row["call_id"]), row, on=on, returned=True)
    return row
