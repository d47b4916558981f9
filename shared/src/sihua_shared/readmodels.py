"""The organisations read model every consuming service keeps from the registry's facts.

Upserts by organisation id, applies an update only when its version is not older than the one held
(redelivery may reorder), and counts the facts applied so that duplicate effects are visible.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from .consumer import Reaction, Subscription
from .contracts.registry import (
    ORGANISATION_REGISTERED,
    ORGANISATION_UPDATED,
    OrganisationRegistered,
    OrganisationUpdated,
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


async def record_organisation(
    session: AsyncSession, envelope: CloudEvent, payload: OrganisationRegistered | OrganisationUpdated
) -> None:
    version = getattr(payload, "version", None) or envelope.aggregateversion or 1
    values: dict[str, Any] = {
        "organisation_id": payload.organisation_id,
        "uscc": payload.uscc,
        "name": payload.name,
        "kind": payload.kind,
        "district": payload.district,
        "sector": payload.sector,
        "industry_code": payload.industry_code,
        "size_class": payload.size_class,
        "version": version,
    }
    held = (
        await session.execute(
            select(known_organisations.c.version).where(
                known_organisations.c.organisation_id == payload.organisation_id
            )
        )
    ).scalar_one_or_none()
    statement = pg_insert(known_organisations).values(**values, facts_applied=1)
    if held is not None and held > version:  # an older fact arriving late changes nothing but the count
        update_values: dict[str, Any] = {"facts_applied": known_organisations.c.facts_applied + 1}
    else:
        update_values = {**values, "facts_applied": known_organisations.c.facts_applied + 1, "updated_at": func.now()}
        update_values.pop("organisation_id")
    await session.execute(
        statement.on_conflict_do_update(index_elements=["organisation_id"], set_=update_values)
    )


def organisation_subscription(consumer: str) -> Subscription:
    return Subscription(
        consumer,
        "registry",
        [Reaction(ORGANISATION_REGISTERED, record_organisation), Reaction(ORGANISATION_UPDATED, record_organisation)],
    )


def create_readmodel_tables(op: Any) -> None:
    readmodel_metadata.create_all(op.get_bind())
