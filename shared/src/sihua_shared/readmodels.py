"""Read models every consuming service keeps from the registry's facts: organisations, titles and the
pilot pool.

Organisations upsert by id, apply an update only when its version is not older than the one held
(redelivery may reorder), and count the facts applied so that duplicate effects are visible. Titles and
pilot membership keep their latest state; a revocation or removal is never undone by a late grant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, bindparam, case, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from .consumer import Reaction, Subscription
from .contracts.registry import (
    ENTERPRISE_ENROLLED,
    ENTERPRISE_REMOVED,
    ORGANISATION_REGISTERED,
    ORGANISATION_UPDATED,
    TITLE_GRANTED,
    TITLE_REVOKED,
    EnterpriseEnrolled,
    EnterpriseRemoved,
    OrganisationRegistered,
    OrganisationUpdated,
    TitleGranted,
    TitleRevoked,
)
from .events import CloudEvent

readmodel_metadata = MetaData()

known_organisations = Table(
    "known_organisations",
    readmodel_metadata,
    Column("organisation_id", String(100), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("district", String(50)),
    Column("sector", String(50)),
    Column("industry_code", String(20)),
    Column("size_class", String(20)),
    Column("version", Integer, nullable=False),
    Column("facts_applied", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


_PROFILE = ("uscc", "name", "kind", "district", "sector", "industry_code", "size_class", "version")


def _organisation_upsert() -> Any:
    """One statement, built once: insert, or update the profile only when the fact is not older than the
    one held (redelivery may reorder), and always count the fact."""
    statement = pg_insert(known_organisations).values(
        {name: bindparam(name) for name in ("organisation_id", *_PROFILE)} | {"facts_applied": 1}
    )
    newer = known_organisations.c.version <= statement.excluded.version
    update: dict[str, Any] = {
        name: case((newer, statement.excluded[name]), else_=known_organisations.c[name]) for name in _PROFILE
    }
    update["updated_at"] = case((newer, func.now()), else_=known_organisations.c.updated_at)
    update["facts_applied"] = known_organisations.c.facts_applied + 1
    return statement.on_conflict_do_update(index_elements=["organisation_id"], set_=update)


_UPSERT_ORGANISATION = _organisation_upsert()


async def record_organisation(
    session: AsyncSession, envelope: CloudEvent, payload: OrganisationRegistered | OrganisationUpdated
) -> None:
    version = getattr(payload, "version", None) or envelope.aggregateversion or 1
    await session.execute(
        _UPSERT_ORGANISATION,
        {
            "organisation_id": payload.organisation_id,
            "uscc": payload.uscc,
            "name": payload.name,
            "kind": payload.kind,
            "district": payload.district,
            "sector": payload.sector,
            "industry_code": payload.industry_code,
            "size_class": payload.size_class,
            "version": version,
        },
    )


known_titles = Table(
    "known_titles",
    readmodel_metadata,
    Column("title_id", String(100), primary_key=True),
    Column("title_number", String(100), nullable=False, index=True),
    Column("kind", String(50), nullable=False),
    Column("organisation_id", String(100), nullable=False, index=True),
    Column("uscc", String(18), nullable=False),
    Column("title_name", String(200)),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("revoked_on", Date),
    Column("revocation_reason", String(1000)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

pilot_enterprises = Table(
    "pilot_enterprises",
    readmodel_metadata,
    Column("enterprise_id", String(100), primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("sector", String(50)),
    Column("district", String(50)),
    Column("size_class", String(20)),
    Column("enrolled_on", Date),
    Column("removed_on", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def _upsert(
    session: AsyncSession, table: Table, key: str, values: dict[str, Any], update: dict[str, Any], where: Any = None
) -> None:
    statement = pg_insert(table).values(**values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[key], set_={**update, "updated_at": func.now()}, where=where)
    )


def _title_identity(payload: TitleGranted | TitleRevoked) -> dict[str, Any]:
    return {
        "title_id": payload.title_id,
        "title_number": payload.title_number,
        "kind": payload.kind,
        "organisation_id": payload.organisation_id,
        "uscc": payload.uscc,
    }


async def record_title_granted(session: AsyncSession, _: CloudEvent, payload: TitleGranted) -> None:
    granted = {"title_name": payload.title_name, "valid_from": payload.valid_from, "valid_until": payload.valid_until}
    values = {**_title_identity(payload), **granted}
    # a revocation that arrived first is kept: the grant fills in only what it knows
    await _upsert(session, known_titles, "title_id", values, {k: v for k, v in values.items() if k != "title_id"})


async def record_title_revoked(session: AsyncSession, _: CloudEvent, payload: TitleRevoked) -> None:
    revoked = {"revoked_on": payload.revoked_on, "revocation_reason": payload.reason}
    await _upsert(session, known_titles, "title_id", {**_title_identity(payload), **revoked}, revoked)


async def record_enrolment(session: AsyncSession, _: CloudEvent, payload: EnterpriseEnrolled) -> None:
    values = {
        "enterprise_id": payload.enterprise_id,
        "uscc": payload.uscc,
        "sector": payload.sector,
        "district": payload.district,
        "size_class": payload.size_class,
        "enrolled_on": payload.enrolled_on,
        "removed_on": None,
    }
    # A re-enrolment after a removal counts only when it is not older than the removal.
    newer = (pilot_enterprises.c.removed_on.is_(None)) | (pilot_enterprises.c.removed_on <= payload.enrolled_on)
    update = {k: v for k, v in values.items() if k != "enterprise_id"}
    await _upsert(session, pilot_enterprises, "enterprise_id", values, update, where=newer)


async def record_removal(session: AsyncSession, _: CloudEvent, payload: EnterpriseRemoved) -> None:
    values = {"enterprise_id": payload.enterprise_id, "uscc": payload.uscc, "removed_on": payload.removed_on}
    await _upsert(session, pilot_enterprises, "enterprise_id", values, {"removed_on": payload.removed_on})


def registry_subscription(consumer: str, *, titles: bool = True, pilot: bool = True) -> Subscription:
    """The registry facts a consuming service keeps: organisations always, titles and the pilot pool as asked."""
    reactions = [Reaction(ORGANISATION_REGISTERED, record_organisation), Reaction(ORGANISATION_UPDATED, record_organisation)]
    if titles:
        reactions += [Reaction(TITLE_GRANTED, record_title_granted), Reaction(TITLE_REVOKED, record_title_revoked)]
    if pilot:
        reactions += [Reaction(ENTERPRISE_ENROLLED, record_enrolment), Reaction(ENTERPRISE_REMOVED, record_removal)]
    return Subscription(consumer, "registry", reactions)


def organisation_subscription(consumer: str) -> Subscription:
    return registry_subscription(consumer, titles=False, pilot=False)


def create_readmodel_tables(op: Any) -> None:
    """First revision: the organisations read model."""
    known_organisations.create(op.get_bind(), checkfirst=True)


def create_title_and_pilot_readmodels(op: Any) -> None:
    """Second revision: titles and the pilot pool."""
    known_titles.create(op.get_bind(), checkfirst=True)
    pilot_enterprises.create(op.get_bind(), checkfirst=True)


def drop_title_and_pilot_readmodels(op: Any) -> None:
    pilot_enterprises.drop(op.get_bind(), checkfirst=True)
    known_titles.drop(op.get_bind(), checkfirst=True)
