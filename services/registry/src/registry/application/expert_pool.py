"""The expert pool (专家库): accounts holding the role ``expert``, with fields of expertise set by city officers.

An expert's own organisation is the account's organisation; an expert of no organisation conflicts with none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import invalid, not_found
from sihua_shared.panel import Expert

from ..adapters.account_tables import accounts
from ..adapters.call_tables import expert_profiles

_COLUMNS = (accounts.c.id, accounts.c.display_name, accounts.c.organisation_id, accounts.c.active,
            expert_profiles.c.fields, expert_profiles.c.can_chair, expert_profiles.c.version)


def _joined() -> Any:
    return accounts.outerjoin(expert_profiles, expert_profiles.c.account_id == accounts.c.id)


def expert_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"account_id": row["id"], "display_name": row["display_name"], "organisation_id": row["organisation_id"],
            "active": row["active"], "fields": list(row["fields"] or []),
            "can_chair": True if row["can_chair"] is None else row["can_chair"], "version": row["version"] or 0}


def as_expert(row: Mapping[str, Any]) -> Expert:
    return Expert(
        expert_id=row["id"],
        # No organisation: a key of the expert's own, which no applicant and no relationship can match.
        organisation_id=row["organisation_id"] or f"account:{row['id']}",
        fields=frozenset(row["fields"] or ()),
        can_chair=True if row["can_chair"] is None else bool(row["can_chair"]),
    )


async def expert_rows(session: AsyncSession, ids: Collection[str] | None = None, *, active_only: bool = True) -> list[dict[str, Any]]:
    query = select(*_COLUMNS).select_from(_joined()).where(accounts.c.roles.contains(["expert"]))
    if ids is not None:
        query = query.where(accounts.c.id.in_(list(ids)))
    if active_only:
        query = query.where(accounts.c.active.is_(True))
    return [dict(r) for r in (await session.execute(query.order_by(accounts.c.id))).mappings()]


async def set_expert_profile(
    session: AsyncSession, actor: Actor, account_id: str, *, fields: list[str], can_chair: bool
) -> dict[str, Any]:
    found = await expert_rows(session, [account_id], active_only=False)
    if not found:
        raise not_found("expert", account_id)
    before = found[0]
    cleaned = sorted({f.strip() for f in fields if f.strip()})
    if len(cleaned) != len(fields):
        raise invalid("body.fields", "专业领域不能为空或重复", "fields must be distinct and not blank")
    values = {"account_id": account_id, "fields": cleaned, "can_chair": can_chair, "updated_by": actor.id}
    await session.execute(
        pg_insert(expert_profiles).values(**values, version=1).on_conflict_do_update(
            index_elements=["account_id"], set_={**values, "version": expert_profiles.c.version + 1})
    )
    after = (await expert_rows(session, [account_id], active_only=False))[0]
    await audit(session, actor, "expert.profile.set", "expert", account_id, before=expert_view(before), after=expert_view(after))
    return after


async def active_pool(session: AsyncSession) -> list[Expert]:
    return [as_expert(r) for r in await expert_rows(session)]


async def recorded_pool(session: AsyncSession, ids: Collection[str]) -> tuple[list[Expert], set[str]]:
    """The experts of a recorded draw, as they are now, and those of them no longer available (inactive, or no
    longer experts): keeping them in the pool keeps the draw order, and declining them keeps them off the panel."""
    rows = {r["id"]: r for r in await expert_rows(session, ids, active_only=False)}
    experts = [as_expert(rows[i]) if i in rows else Expert(i, f"account:{i}") for i in ids]
    unavailable = {i for i in ids if i not in rows or not rows[i]["active"]}
    return experts, unavailable
