"""The expert pool (专家库): accounts holding the role ``expert``, with a profile set by city officers — fields of
expertise, whether they may chair, the district they are bound to, and the organisations they declare a conflict
with (besides what the declared relationships give).

An expert's own organisation is the account's organisation; an expert of no organisation conflicts with none.

The pool is a fact other services draw panels from (catalog's admission review): ``expert.profile_set`` whenever a
profile is set or changed, or an expert with a profile comes back (account activated again); ``expert.left_pool``
when the expert role is withdrawn or the account is deactivated. Both carry the profile's version, bumped on every
change, so a consumer keeps the latest. An expert whose profile was never set is not announced (nobody knew them).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.contracts.registry import EXPERT_LEFT_POOL, EXPERT_PROFILE_SET, ExpertLeftPool, ExpertProfileSet
from sihua_shared.errors import invalid, not_found, transition_not_allowed
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event
from sihua_shared.panel import Expert

from ..adapters.account_tables import accounts
from ..adapters.call_tables import expert_profiles
from ..adapters.tables import organisations
from .places import check_district

_COLUMNS = (accounts.c.id, accounts.c.display_name, accounts.c.organisation_id, accounts.c.active, accounts.c.roles,
            expert_profiles.c.fields, expert_profiles.c.can_chair, expert_profiles.c.district,
            expert_profiles.c.declared_conflicts, expert_profiles.c.version)


def _joined() -> Any:
    return accounts.outerjoin(expert_profiles, expert_profiles.c.account_id == accounts.c.id)


def expert_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"account_id": row["id"], "display_name": row["display_name"], "organisation_id": row["organisation_id"],
            "active": row["active"], "fields": list(row["fields"] or []),
            "can_chair": True if row["can_chair"] is None else row["can_chair"], "district": row.get("district"),
            "declared_conflicts": list(row.get("declared_conflicts") or []), "version": row["version"] or 0}


def as_expert(row: Mapping[str, Any]) -> Expert:
    return Expert(
        expert_id=row["id"],
        # No organisation: a key of the expert's own, which no applicant and no relationship can match.
        organisation_id=row["organisation_id"] or f"account:{row['id']}",
        fields=frozenset(row["fields"] or ()),
        declared_conflicts=frozenset(row.get("declared_conflicts") or ()),
        can_chair=True if row["can_chair"] is None else bool(row["can_chair"]),
    )


async def expert_rows(
    session: AsyncSession, ids: Collection[str] | None = None, *, active_only: bool = True, experts_only: bool = True
) -> list[dict[str, Any]]:
    query = select(*_COLUMNS).select_from(_joined())
    if experts_only:
        query = query.where(accounts.c.roles.contains(["expert"]))
    if ids is not None:
        query = query.where(accounts.c.id.in_(list(ids)))
    if active_only:
        query = query.where(accounts.c.active.is_(True))
    return [dict(r) for r in (await session.execute(query.order_by(accounts.c.id))).mappings()]


async def _check_conflicts(session: AsyncSession, declared: list[str]) -> list[str]:
    cleaned = sorted(set(declared))
    if len(cleaned) != len(declared):
        raise invalid("body.declared_conflicts", "申明回避的单位不能重复", "declared conflicts must be distinct")
    if cleaned:
        found = {r[0] for r in await session.execute(select(organisations.c.id).where(organisations.c.id.in_(cleaned)))}
        unknown = [o for o in cleaned if o not in found]
        if unknown:
            raise invalid("body.declared_conflicts", "申明回避的单位不存在", f"unknown organisations: {', '.join(unknown)}")
    return cleaned


async def _publish(session: AsyncSession, row: Mapping[str, Any]) -> None:
    """The pool fact for the expert as the row stands (the profile's version already bumped)."""
    in_pool = bool(row["active"]) and "expert" in (row.get("roles") or [])
    if in_pool:
        view = expert_view(row)
        payload: ExpertProfileSet | ExpertLeftPool = ExpertProfileSet(
            expert_account_id=row["id"], display_name=view["display_name"], organisation_id=view["organisation_id"],
            fields=view["fields"], district=view["district"], can_chair=view["can_chair"],
            declared_conflicts=view["declared_conflicts"], active=True, version=row["version"],
        )
        await record_event(session, EXPERT_PROFILE_SET, payload, subject=row["id"], aggregate_version=row["version"])
    else:
        payload = ExpertLeftPool(expert_account_id=row["id"], version=row["version"])
        await record_event(session, EXPERT_LEFT_POOL, payload, subject=row["id"], aggregate_version=row["version"])


async def set_expert_profile(
    session: AsyncSession,
    actor: Actor,
    account_id: str,
    *,
    fields: list[str],
    can_chair: bool,
    district: str | None = None,
    declared_conflicts: list[str] | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> dict[str, Any]:
    """Set an expert's pool profile; publishes ``expert.profile_set`` (when the account is active)."""
    if jurisdiction is not None:
        check_district(jurisdiction, district, "body.district")
    found = await expert_rows(session, [account_id], active_only=False)
    if not found:
        raise not_found("expert", account_id)
    before = found[0]
    cleaned = sorted({f.strip() for f in fields if f.strip()})
    if len(cleaned) != len(fields):
        raise invalid("body.fields", "专业领域不能为空或重复", "fields must be distinct and not blank")
    conflicts = await _check_conflicts(session, declared_conflicts or [])
    values = {"account_id": account_id, "fields": cleaned, "can_chair": can_chair, "district": district,
              "declared_conflicts": conflicts, "updated_by": actor.id}
    await session.execute(
        pg_insert(expert_profiles).values(**values, version=1).on_conflict_do_update(
            index_elements=["account_id"], set_={**values, "version": expert_profiles.c.version + 1, "updated_at": now_utc()})
    )
    after = (await expert_rows(session, [account_id], active_only=False))[0]
    if after["active"]:
        await _publish(session, after)
    await audit(session, actor, "expert.profile.set", "expert", account_id, before=expert_view(before), after=expert_view(after))
    return after


async def pool_membership_changed(session: AsyncSession, account_id: str) -> None:
    """The account was deactivated or activated again, or lost the expert role: bump the profile's version and
    publish where the expert now stands. Nothing when the account never had a pool profile."""
    bumped = await session.execute(
        update(expert_profiles).where(expert_profiles.c.account_id == account_id)
        .values(version=expert_profiles.c.version + 1, updated_at=now_utc()).returning(expert_profiles.c.account_id)
    )
    if bumped.first() is None:
        return
    rows = await expert_rows(session, [account_id], active_only=False, experts_only=False)
    if rows:
        await _publish(session, rows[0])


async def withdraw_expert(session: AsyncSession, actor: Actor, account_id: str, reason: str) -> dict[str, Any]:
    """A city officer takes an expert out of the pool: the account loses the role ``expert`` (its next tokens carry
    the others only; its live ones lose it within seconds, in every api that keeps the pool); publishes
    ``expert.left_pool``. Refused (409) for an account that is no expert."""
    found = (await session.execute(select(accounts).where(accounts.c.id == account_id).with_for_update())).mappings().first()
    if found is None:
        raise not_found("expert", account_id)
    if "expert" not in found["roles"]:
        raise transition_not_allowed("expert", "not_in_pool", "withdraw", [])
    roles = sorted(r for r in found["roles"] if r != "expert")
    await session.execute(
        update(accounts).where(accounts.c.id == account_id)
        .values(roles=roles, version=accounts.c.version + 1, updated_at=now_utc())
    )
    # The profile row stays (made if the expert never had one): a profile without the role is a withdrawn expert,
    # whose live tokens every api strips of the role (the registry's SPEC.withdrawn_experts).
    await session.execute(pg_insert(expert_profiles).values(account_id=account_id, updated_by=actor.id)
                          .on_conflict_do_nothing(index_elements=["account_id"]))
    await pool_membership_changed(session, account_id)
    after = (await expert_rows(session, [account_id], active_only=False, experts_only=False))[0]
    await audit(session, actor, "expert.withdraw", "expert", account_id,
                before={"roles": list(found["roles"])}, after={"roles": roles, "reason": reason})
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
