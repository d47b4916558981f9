"""产业生态联合体: a traction unit declares providers as partners of its ecosystem alliance; each partner confirms
(or declines); either side or a city officer ends a membership with a reason (``domain.alliances``).

A traction unit is an organisation of kind ``traction_unit`` or one holding a valid, unrevoked title of that kind
(selected as 数字化牵引单位). The confirmation is the fact other services act on (catalog marks the partner's
products): ``ecosystem.partner_confirmed``, and ``ecosystem.partner_ended`` when a confirmed membership ends. The
aggregate version is the membership's version. The use cases take a session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.access_sql import Attribute, where
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.registry import (
    ECOSYSTEM_PARTNER_CONFIRMED,
    ECOSYSTEM_PARTNER_ENDED,
    EcosystemPartnerConfirmed,
    EcosystemPartnerEnded,
)
from sihua_shared.errors import conflict, forbidden, invalid, not_found
from sihua_shared.paging import fetch_page

from ..adapters.alliance_tables import ecosystem_memberships as eco
from ..adapters.tables import organisations
from ..adapters.title_tables import titles
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from ..domain.alliances import ECOSYSTEM_MACHINE, OPEN_ECOSYSTEM_STATES, PARTNER_KINDS, EcosystemAction, EcosystemState
from .access import ensure
from .acting_for import acting_for
from .lifecycle import Lifecycle
from .organisation_names import with_names
from .organisations import get_organisation


def _either_side(district: Any) -> ColumnElement[bool]:
    in_district = select(organisations.c.id).where(organisations.c.district == district)
    return or_(eco.c.traction_unit_id.in_(in_district), eco.c.partner_id.in_(in_district))


MEMBERSHIPS = Lifecycle(eco, ECOSYSTEM_MACHINE, what="ecosystem membership", entity_type="ecosystem_membership",
                        audit_prefix="ecosystem")
COLUMNS: dict[str, Attribute] = {
    ORGANISATION: lambda org: or_(eco.c.traction_unit_id == org, eco.c.partner_id == org),
    DISTRICT: _either_side,
}


async def _resource(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    tu, partner = await get_organisation(session, row["traction_unit_id"]), await get_organisation(session, row["partner_id"])
    return {ORGANISATION: [row["traction_unit_id"], row["partner_id"]],
            DISTRICT: [o["district"] for o in (tu, partner) if o and o["district"]]}


async def is_traction_unit(session: AsyncSession, organisation: Mapping[str, Any]) -> bool:
    if organisation["kind"] == "traction_unit":
        return True
    today = business_clock(session).today()
    held = await session.execute(
        select(titles.c.id).where(
            titles.c.organisation_id == organisation["id"], titles.c.kind == "traction_unit", titles.c.revoked_on.is_(None),
            titles.c.valid_from <= today, titles.c.valid_until >= today,
        ).limit(1)
    )
    return held.first() is not None


async def _named(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    return await with_names(session, row, traction_unit_name="traction_unit_id", partner_name="partner_id")


async def declare_partner(
    session: AsyncSession, actor: Actor, traction_unit_id: str | None, partner_id: str, note: str = ""
) -> dict[str, Any]:
    """The traction unit's own accounts declare a provider as a partner; the partner then confirms or declines."""
    tu_id = acting_for(actor, traction_unit_id, policy.ecosystem_declarer(actor), field="body.traction_unit_id",
                       missing=("请指定牵引单位", "name the traction unit"),
                       refusal=("只有牵引单位本单位账号可以申报生态联合体成员",
                                "only the traction unit's own accounts declare its partners"))
    traction_unit = await get_organisation(session, tu_id, lock=True)  # serialises declarations of one traction unit
    if traction_unit is None:
        raise not_found("organisation", tu_id)
    if not await is_traction_unit(session, traction_unit):
        raise conflict("not_a_traction_unit", "该单位不是数字化牵引单位（无有效称号）",
                       "the organisation is no traction unit (no valid traction-unit title)", field="body.traction_unit_id")
    if partner_id == tu_id:
        raise invalid("body.partner_id", "不能将本单位申报为生态联合体成员", "a traction unit cannot partner itself")
    partner = await get_organisation(session, partner_id)
    if partner is None:
        raise invalid("body.partner_id", "成员单位不存在", "the partner organisation does not exist")
    if partner["kind"] not in PARTNER_KINDS:
        raise invalid("body.partner_id", "生态联合体成员须为数字化服务单位", "a partner is a provider of digital services",
                      code="not_a_provider")
    existing = await session.execute(select(eco.c.id).where(
        eco.c.traction_unit_id == tu_id, eco.c.partner_id == partner_id, eco.c.state.in_(OPEN_ECOSYSTEM_STATES)))
    current = existing.first()
    if current is not None:
        raise conflict("already_partner", "该单位已是（或已被申报为）本联合体成员", "the partner is already declared",
                       field="body.partner_id", membership_id=current.id)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()), "traction_unit_id": tu_id, "partner_id": partner_id, "state": EcosystemState.DECLARED.value,
        "note": note, "declared_by": actor.id, "declared_on": business_clock(session).today(), "version": 1,
    }
    return await _named(session, await MEMBERSHIPS.create(session, actor, row, "declare"))


async def _visible(session: AsyncSession, actor: Actor, membership_id: str, *, lock: bool = False) -> dict[str, Any]:
    row = await MEMBERSHIPS.find(session, membership_id, lock=lock)
    ensure(policy.ecosystem(actor), await _resource(session, row), forbidden("无权查看该生态联合体成员关系",
                                                                            "you may not see this membership"))
    return row


async def decide_partnership(
    session: AsyncSession,
    actor: Actor,
    membership_id: str,
    *,
    confirm: bool,
    reason: str = "",
    check_version: Callable[[int], None],
) -> dict[str, Any]:
    """The partner's own accounts confirm (publishes ``ecosystem.partner_confirmed``) or decline a declaration."""
    before = await _visible(session, actor, membership_id, lock=True)
    ensure(policy.ecosystem_partner(actor), {ORGANISATION: before["partner_id"]},
           forbidden("只有被申报的成员单位可以确认或谢绝", "only the partner confirms or declines", code="not_partner"))
    check_version(before["version"])
    today = business_clock(session).today()
    if confirm:
        after = await MEMBERSHIPS.step(session, actor, before, EcosystemAction.CONFIRM, {"decided_by": actor.id, "confirmed_on": today})
        tu, partner = await get_organisation(session, after["traction_unit_id"]), await get_organisation(session, after["partner_id"])
        assert tu is not None and partner is not None  # foreign keys
        payload = EcosystemPartnerConfirmed(
            membership_id=after["id"], traction_unit_id=tu["id"], traction_unit_uscc=tu["uscc"], partner_id=partner["id"],
            partner_uscc=partner["uscc"], confirmed_on=today,
        )
        await MEMBERSHIPS.publish(session, ECOSYSTEM_PARTNER_CONFIRMED, payload, after)
    else:
        after = await MEMBERSHIPS.step(session, actor, before, EcosystemAction.DECLINE,
                                       {"decided_by": actor.id, "declined_on": today, "decline_reason": reason})
    return await _named(session, after)


async def end_partnership(
    session: AsyncSession, actor: Actor, membership_id: str, reason: str, *, check_version: Callable[[int], None]
) -> dict[str, Any]:
    """Either side, or a city officer, ends a membership; a confirmed one publishes ``ecosystem.partner_ended``."""
    before = await _visible(session, actor, membership_id, lock=True)
    ensure(policy.ecosystem_ender(actor), {ORGANISATION: [before["traction_unit_id"], before["partner_id"]]},
           forbidden("只有联合体双方或市级主管部门可以终止成员关系", "only either side or the city ends a membership"))
    check_version(before["version"])
    today = business_clock(session).today()
    after = await MEMBERSHIPS.step(session, actor, before, EcosystemAction.END,
                                   {"ended_by": actor.id, "ended_on": today, "end_reason": reason})
    if before["state"] == EcosystemState.CONFIRMED.value:
        payload = EcosystemPartnerEnded(membership_id=after["id"], traction_unit_id=after["traction_unit_id"],
                                        partner_id=after["partner_id"], reason=reason, ended_on=today)
        await MEMBERSHIPS.publish(session, ECOSYSTEM_PARTNER_ENDED, payload, after)
    return await _named(session, after)


async def get_membership(session: AsyncSession, actor: Actor, membership_id: str) -> dict[str, Any]:
    return await _named(session, await _visible(session, actor, membership_id))


async def list_memberships(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    traction_unit_id: str | None = None,
    partner_id: str | None = None,
    state: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    scope: Scope = policy.ecosystem(actor)
    conditions: list[ColumnElement[bool]] = [where(scope, COLUMNS)]
    for column, value in ((eco.c.traction_unit_id, traction_unit_id), (eco.c.partner_id, partner_id), (eco.c.state, state)):
        if value is not None:
            conditions.append(column == value)
    found, total = await fetch_page(
        session, select(eco).where(and_(*conditions)).order_by(eco.c.declared_on.desc(), eco.c.created_at.desc(), eco.c.id),
        limit=limit, offset=offset)
    return [await _named(session, r) for r in found], total
