"""Use cases on organisations: register (one or many), read, list, update. They take a session and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import now_utc
from sihua_shared.contracts.registry import (
    ORGANISATION_REGISTERED,
    ORGANISATION_UPDATED,
    OrganisationRegistered,
    OrganisationUpdated,
    VerificationStatus,
)
from sihua_shared.db import fetch_one
from sihua_shared.errors import DomainError, Kind, Problem, conflict, forbidden, not_found
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event

from ..adapters.tables import organisations
from ..domain import access as policy
from ..domain.access import DISTRICT
from .access import ORGANISATION_COLUMNS, ensure, not_owner, organisation_resource
from .organisation_profile import SELF_SERVICE_FIELDS, check_profile, profile_of, profile_problem

# What the contract's payloads carry of an organisation.
_EVENT_FIELDS = ("uscc", "name", "kind", "district", "sector", "industry_code", "size_class")
_STORED = (*_EVENT_FIELDS, "employees", "revenue_fen", "total_assets_fen", "size_class_basis", "systems")
# What a public sign-up adds to a checked profile (application.sign_up); officials' registrations leave them out.
_SIGN_UP_STORED = ("verification", "contact_name", "contact_email")


_INSERT_ONE = pg_insert(organisations).on_conflict_do_nothing(index_elements=["uscc"]).returning(organisations)


def verification_fact(row: Mapping[str, Any]) -> VerificationStatus | None:
    """The ``verification`` member of an organisation's facts: none once verified (as for officials' registrations)."""
    status = row.get("verification")
    return "rejected" if status == "rejected" else "unverified" if status == "unverified" else None


def _outside_district(actor: Actor, field: str = "body.district") -> DomainError:
    return forbidden("只能办理本区的单位", f"district officers of {actor.district} act on organisations of their own district only",
                     field=field, code="outside_district")


def registration_district(actor: Actor, district: str | None) -> str | None:
    """A district officer registers in their own district (the default when none is given)."""
    district = policy.default_district(actor, district)
    ensure(policy.registration_districts(actor), {DISTRICT: district}, _outside_district(actor))
    return district


def uscc_taken(uscc: str, field: str = "body.uscc") -> DomainError:
    return conflict("uscc_taken", "该统一社会信用代码已登记", "this USCC is already registered", field=field,
                    detail=f"an organisation with USCC {uscc} is already registered")


async def insert_organisations(
    session: AsyncSession, actor: Actor, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Store checked profiles (from ``check_profile``), each with its ``organisation.registered`` fact and audit
    entry. A USCC already present refuses the whole batch (409): the caller's transaction rolls back."""
    if not rows:
        return []
    values = [{"id": str(uuid.uuid4()), **{name: row[name] for name in _STORED},
               **{name: row[name] for name in _SIGN_UP_STORED if name in row}, "version": 1} for row in rows]
    if len(values) == 1:  # one statement for every single registration, compiled once (SQLAlchemy's cache)
        inserted = await session.execute(_INSERT_ONE, values[0])
    else:
        inserted = await session.execute(
            pg_insert(organisations).values(values).on_conflict_do_nothing(index_elements=["uscc"]).returning(organisations)
        )
    stored = {r["id"]: dict(r) for r in inserted.mappings()}
    missing = [v["uscc"] for v in values if v["id"] not in stored]
    if missing:
        raise uscc_taken(missing[0])
    created = [stored[v["id"]] for v in values]
    for row in created:
        payload = OrganisationRegistered(organisation_id=row["id"], systems=row["systems"], **{k: row[k] for k in _EVENT_FIELDS},
                                         verification=verification_fact(row))
        await record_event(session, ORGANISATION_REGISTERED, payload, subject=row["id"], aggregate_version=1)
        await audit(session, actor, "organisation.register", "organisation", row["id"], after=row)
    return created


async def register_organisation(
    session: AsyncSession, actor: Actor, profile: Mapping[str, Any], *, jurisdiction: Jurisdiction
) -> dict[str, Any]:
    """Register one organisation; a district officer registers in their own district."""
    wanted = {**profile, "district": registration_district(actor, profile.get("district"))}
    row, errors = check_profile(wanted, jurisdiction)
    if errors:
        raise profile_problem(errors)
    return (await insert_organisations(session, actor, [row]))[0]


_BY_ID = select(organisations).where(organisations.c.id == bindparam("org_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()


async def get_organisation(session: AsyncSession, org_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    return await fetch_one(session, _BY_ID_LOCKED if lock else _BY_ID, org_id=org_id)


async def visible_organisation(
    session: AsyncSession, actor: Actor, org_id: str, *, lock: bool = False, scope: Scope | None = None
) -> dict[str, Any]:
    """The organisation, when the policy's scope (by default who sees organisations) admits it."""
    row = await get_organisation(session, org_id, lock=lock)
    if row is None:
        raise not_found("organisation", org_id)
    ensure(policy.organisations(actor) if scope is None else scope, organisation_resource(row), not_owner())
    return row


async def list_organisations(
    session: AsyncSession,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    kind: str | None = None,
    district: str | None = None,
    sector: str | None = None,
    q: str | None = None,
    verification: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    conditions: list[ColumnElement[bool]] = [where(policy.organisations(actor), ORGANISATION_COLUMNS)]
    if kind is not None:
        conditions.append(organisations.c.kind == kind)
    if district is not None:
        conditions.append(organisations.c.district == district)
    if sector is not None:
        conditions.append(organisations.c.sector == sector)
    if verification is not None:
        conditions.append(organisations.c.verification == verification)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(organisations.c.name.ilike(f"%{escaped}%", escape="\\"))
    total = (await session.execute(select(func.count()).select_from(organisations).where(*conditions))).scalar_one()
    found = await session.execute(
        select(organisations).where(*conditions).order_by(organisations.c.name, organisations.c.id).limit(limit).offset(offset)
    )
    return [dict(r) for r in found.mappings()], int(total)


def _ensure_may_change(actor: Actor, row: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Officials with the organisation in scope change anything (a district officer keeps it in the district);
    the organisation's own people change the non-identity fields only."""
    officials = policy.organisation_officials(actor)
    if officials.admits(organisation_resource(row)):
        if "district" in changes:
            ensure(officials, {DISTRICT: changes["district"]}, _outside_district(actor))
        return
    if policy.own(actor).admits(organisation_resource(row)):
        refused = [name for name in changes if name not in SELF_SERVICE_FIELDS]
        if refused:
            raise DomainError(
                "identity_field", "该项只能由主管部门修改", f"only officials change {', '.join(refused)}", kind=Kind.FORBIDDEN,
                problems=[Problem(f"body.{name}", "identity_field", "该项只能由主管部门修改",
                                  "only officials change this field") for name in refused],
            )
        return
    raise forbidden("无权修改该单位", "you may not change this organisation")


async def update_organisation(
    session: AsyncSession,
    actor: Actor,
    org_id: str,
    changes: Mapping[str, Any],
    *,
    check_version: Callable[[int], None],
    jurisdiction: Jurisdiction,
) -> dict[str, Any]:
    """Change a profile (the size class is recomputed from its inputs); publishes ``organisation.updated``."""
    row = await get_organisation(session, org_id, lock=True)
    if row is None:
        raise not_found("organisation", org_id)
    _ensure_may_change(actor, row, changes)
    check_version(row["version"])
    checked, errors = check_profile({**profile_of(row), **changes}, jurisdiction)
    if errors:
        raise profile_problem(errors)
    changed = {name: value for name, value in checked.items() if row[name] != value}
    if not changed:
        return row
    if "uscc" in changed:
        clash = await session.execute(select(organisations.c.id).where(organisations.c.uscc == changed["uscc"]))
        if clash.first() is not None:
            raise uscc_taken(changed["uscc"])
    updated = await session.execute(
        update(organisations)
        .where(organisations.c.id == org_id)
        .values(**changed, version=organisations.c.version + 1, updated_at=now_utc())
        .returning(organisations)
    )
    after = dict(updated.mappings().one())
    payload = OrganisationUpdated(organisation_id=org_id, version=after["version"], systems=after["systems"],
                                  **{k: after[k] for k in _EVENT_FIELDS}, verification=verification_fact(after))
    await record_event(session, ORGANISATION_UPDATED, payload, subject=org_id, aggregate_version=after["version"])
    await audit(session, actor, "organisation.update", "organisation", org_id, before=row, after=after)
    return after

