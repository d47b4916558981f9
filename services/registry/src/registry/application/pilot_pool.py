"""The pilot pool (诊断+改造入库名单, S2 五(一)): district and city officers enrol SMEs and remove them.

Membership is a fact the other services act on (diagnosis on site for pilot enterprises, subsidies only to
them), published as ``pilot_pool.enterprise_enrolled`` / ``.enterprise_removed`` with the state change. Each enrolment is a
row; a removed enterprise may be enrolled again, as its next ordinal. The facts of an enterprise carry the
aggregate version 2n-1 (n-th enrolment) and 2n (its removal), so consumers can order them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock, now_utc
from sihua_shared.contracts.registry import (
    ENTERPRISE_ENROLLED,
    ENTERPRISE_REMOVED,
    EnterpriseEnrolled,
    EnterpriseRemoved,
)
from sihua_shared.errors import DomainError, combined, conflict, forbidden, invalid, not_found, transition_not_allowed
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event

from ..adapters.profile_tables import pilot_pool_enrolments as pilot
from ..adapters.tables import organisations
from ..domain import access as policy
from ..domain.access import DISTRICT
from .access import POOL_COLUMNS, ensure, owned_resource
from .organisations import get_organisation
from .pilot_rules import eligibility_problems


def _outside_district(actor: Actor, field: str) -> DomainError:
    return forbidden("只能办理本区企业的试点入库与移出",
                     f"district officers of {actor.district} act on enterprises of their own district only",
                     field=field, code="outside_district")


def _ensure_officer_for(actor: Actor, district: str | None, field: str) -> None:
    ensure(policy.in_charge(actor), {DISTRICT: district}, _outside_district(actor, field))


async def enrol_enterprise(
    session: AsyncSession, actor: Actor, enterprise_id: str, *, jurisdiction: Jurisdiction
) -> dict[str, Any]:
    """Enrol an eligible SME (see ``pilot_rules``); 409 while it is already in the pool."""
    organisation = await get_organisation(session, enterprise_id, lock=True)  # serialises enrolments of one enterprise
    if organisation is None:
        raise invalid("body.enterprise_id", "企业不存在", "the enterprise does not exist")
    _ensure_officer_for(actor, organisation["district"], "body.enterprise_id")
    problems = eligibility_problems(organisation, jurisdiction)
    if problems:
        raise combined("not_eligible", "该企业不符合试点入库条件，见各项错误", "the enterprise cannot join the pilot; see errors", problems,
                       details={"reasons": [p.code for p in problems]})
    history = await session.execute(
        select(pilot.c.id, pilot.c.ordinal, pilot.c.removed_on).where(pilot.c.enterprise_id == enterprise_id).order_by(pilot.c.ordinal)
    )
    enrolments = history.all()
    current = next((e for e in enrolments if e.removed_on is None), None)
    if current is not None:
        raise conflict(
            "already_enrolled", "该企业已在试点名单中", "the enterprise is already in the pilot pool",
            field="body.enterprise_id", enrolment_id=current.id,
        )
    row = {
        "id": str(uuid.uuid4()),
        "enterprise_id": enterprise_id,
        "ordinal": (enrolments[-1].ordinal if enrolments else 0) + 1,
        "uscc": organisation["uscc"],
        "sector": organisation["sector"],
        "district": organisation["district"],
        "size_class": organisation["size_class"],
        "enrolled_on": business_clock(session).today(),
        "enrolled_by": actor.id,
        "version": 1,
    }
    stored = dict((await session.execute(pilot.insert().values(**row).returning(pilot))).mappings().one())
    payload = EnterpriseEnrolled(
        enterprise_id=enterprise_id, uscc=row["uscc"], sector=row["sector"], district=row["district"],
        size_class=row["size_class"], enrolled_on=row["enrolled_on"],
    )
    await record_event(
        session, ENTERPRISE_ENROLLED, payload, subject=enterprise_id, aggregate_version=2 * row["ordinal"] - 1
    )
    await audit(session, actor, "pilot_pool.enrol", "pilot_pool_enrolment", row["id"], after=stored)
    return {**stored, "name": organisation["name"]}


async def remove_enterprise(
    session: AsyncSession,
    actor: Actor,
    enrolment_id: str,
    reason: str,
    *,
    check_version: Callable[[int], None],
) -> dict[str, Any]:
    """Take an enterprise out of the pool, with the reason, on the business date; the enrolment stays on record."""
    found = (await session.execute(select(pilot).where(pilot.c.id == enrolment_id).with_for_update())).mappings().first()
    if found is None:
        raise not_found("pilot enrolment", enrolment_id)
    before = dict(found)
    _ensure_officer_for(actor, before["district"], "path.id")
    check_version(before["version"])
    if before["removed_on"] is not None:
        raise transition_not_allowed("pilot enrolment", "removed", "remove", [])
    changed = await session.execute(
        update(pilot)
        .where(pilot.c.id == enrolment_id)
        .values(
            removed_on=business_clock(session).today(), removed_by=actor.id, removal_reason=reason,
            version=pilot.c.version + 1, updated_at=now_utc(),
        )
        .returning(pilot)
    )
    after = dict(changed.mappings().one())
    payload = EnterpriseRemoved(enterprise_id=after["enterprise_id"], uscc=after["uscc"], reason=reason, removed_on=after["removed_on"])
    await record_event(
        session, ENTERPRISE_REMOVED, payload, subject=after["enterprise_id"], aggregate_version=2 * after["ordinal"]
    )
    await audit(session, actor, "pilot_pool.remove", "pilot_pool_enrolment", enrolment_id, before=before, after=after)
    return await _with_name(session, after)


async def _with_name(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    organisation = await get_organisation(session, row["enterprise_id"])
    return {**row, "name": organisation["name"] if organisation else None}


async def get_enrolment(session: AsyncSession, actor: Actor, enrolment_id: str) -> dict[str, Any]:
    query = select(pilot, organisations.c.name).join(organisations, organisations.c.id == pilot.c.enterprise_id)
    found = (await session.execute(query.where(pilot.c.id == enrolment_id))).mappings().first()
    if found is None:
        raise not_found("pilot enrolment", enrolment_id)
    ensure(policy.pilot_pool(actor), owned_resource(dict(found), "enterprise_id"),
           forbidden("无权查看该试点企业记录", "you may not see this pilot enrolment"))
    return dict(found)


async def list_enrolments(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    status: str = "current",
    district: str | None = None,
    sector: str | None = None,
    enterprise_id: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Enrolments the actor may see: ``current`` members, ``removed`` ones, or ``all``."""
    conditions: list[ColumnElement[bool]] = [where(policy.pilot_pool(actor), POOL_COLUMNS)]
    if status == "current":
        conditions.append(pilot.c.removed_on.is_(None))
    elif status == "removed":
        conditions.append(pilot.c.removed_on.is_not(None))
    for column, value in ((pilot.c.district, district), (pilot.c.sector, sector), (pilot.c.enterprise_id, enterprise_id)):
        if value is not None:
            conditions.append(column == value)
    total = (await session.execute(select(func.count()).select_from(pilot).where(*conditions))).scalar_one()
    query = (
        select(pilot, organisations.c.name)
        .join(organisations, organisations.c.id == pilot.c.enterprise_id)
        .where(*conditions)
        .order_by(pilot.c.enrolled_on.desc(), pilot.c.created_at.desc(), pilot.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in (await session.execute(query)).mappings()], int(total)
