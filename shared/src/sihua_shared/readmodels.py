"""The mechanism of the read models a consuming service keeps from the registry's facts.

The tables, their revisions and the subscription belong to the service that keeps them: its
``adapters/readmodels.py`` declares them on its own metadata and subscribes its own consumer, and its
history creates them (its revision 0002). This module holds only what would otherwise be written four
times: the table shapes, the order-safe upsert, the reactions that fill the tables and the frozen revision
body that creates them.

Redelivery may reorder facts. Every row carries the ``aggregateversion`` of the newest fact applied, and a
fact older than that never overwrites what a newer one set; it only fills in what no fact has told yet
(a grant arriving after its revocation still records the title's name and validity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
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
from .events import CloudEvent, EventPayload

# ---- the order-safe upsert ---------------------------------------------------------------------


class VersionedUpsert:
    """One statement, built once: insert the row, or update it from a fact that is not older than the one
    held (``version`` <= the fact's version; the same version again is a harmless redelivery).

    ``state`` columns follow the newest fact, including the NULLs it sets (a re-enrolment clears a removal);
    ``fill`` columns are facts that never change once known (a title's name), so an older fact may still
    fill them in; ``counter``, when given, counts every fact applied, so that duplicate effects show.
    """

    def __init__(
        self,
        table: Table,
        key: str,
        state: Sequence[str],
        fill: Sequence[str] = (),
        *,
        version: str = "version",
        counter: str | None = None,
    ) -> None:
        self.table = table
        names = (key, *fill, *state, version)
        statement = pg_insert(table).values(
            {name: bindparam(name) for name in names} | ({counter: 1} if counter else {})
        )
        held, fact = table.c, statement.excluded
        newer = held[version] <= fact[version]
        update: dict[str, Any] = {name: case((newer, fact[name]), else_=held[name]) for name in state}
        update |= {name: case((newer, func.coalesce(fact[name], held[name])), else_=func.coalesce(held[name], fact[name]))
                   for name in fill}
        update[version] = func.greatest(held[version], fact[version])
        update["updated_at"] = case((newer, func.now()), else_=held.updated_at)
        if counter:
            update[counter] = held[counter] + 1
        self.statement = statement.on_conflict_do_update(index_elements=[key], set_=update)
        self._names, self._version = names, version

    async def apply(self, session: AsyncSession, values: Mapping[str, Any], version: int) -> None:
        params = {name: None for name in self._names} | dict(values) | {self._version: version}
        await session.execute(self.statement, params)


def fact_version(envelope: CloudEvent, payload: EventPayload) -> int:
    """The aggregate version a fact carries: its envelope's ``aggregateversion``, else the payload's own
    ``version``, else 1 (the first fact of an aggregate)."""
    return envelope.aggregateversion or getattr(payload, "version", None) or 1


# ---- the tables, declared on the keeping service's metadata -------------------------------------


def known_organisations_table(metadata: MetaData) -> Table:
    return Table(
        "known_organisations",
        metadata,
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


def known_titles_table(metadata: MetaData) -> Table:
    return Table(
        "known_titles",
        metadata,
        Column("title_id", String(100), primary_key=True),
        Column("title_number", String(100), nullable=False, index=True),
        Column("kind", String(50), nullable=False),
        Column("organisation_id", String(100), nullable=False, index=True),
        Column("uscc", String(18), nullable=False),
        Column("name_zh", String(200)),
        Column("valid_from", Date),
        Column("valid_until", Date),
        Column("revoked_on", Date),
        Column("revocation_reason", String(1000)),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def pilot_pool_table(metadata: MetaData) -> Table:
    """The pilot pool as the consumer knows it: one row per enterprise, its latest membership."""
    return Table(
        "pilot_pool",
        metadata,
        Column("enterprise_id", String(100), primary_key=True),
        Column("uscc", String(18), nullable=False),
        Column("sector", String(50)),
        Column("district", String(50)),
        Column("size_class", String(20)),
        Column("enrolled_on", Date),
        Column("removed_on", Date),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


# ---- the reactions ------------------------------------------------------------------------------

_PROFILE = ("uscc", "name", "kind", "district", "sector", "industry_code", "size_class")
_TITLE_IDENTITY = ("title_number", "kind", "organisation_id", "uscc")
_ENROLMENT = ("sector", "district", "size_class", "enrolled_on", "removed_on")


class RegistryReadModels:
    """The registry read models one service keeps, declared on that service's metadata (organisations,
    titles, the pilot pool), and the reactions that keep them."""

    def __init__(self, metadata: MetaData) -> None:
        self.organisations = known_organisations_table(metadata)
        self.titles = known_titles_table(metadata)
        self.pilot_pool = pilot_pool_table(metadata)
        self._organisation = VersionedUpsert(self.organisations, "organisation_id", _PROFILE, counter="facts_applied")
        # Nothing about a title changes but its revocation, so all else fills in, whatever the order.
        self._grant = VersionedUpsert(self.titles, "title_id", (), (*_TITLE_IDENTITY, "name_zh", "valid_from", "valid_until"))
        self._revoke = VersionedUpsert(self.titles, "title_id", ("revoked_on", "revocation_reason"), _TITLE_IDENTITY)
        # Membership follows the newest fact: enrolment n has version 2n-1, its removal 2n.
        self._enrol = VersionedUpsert(self.pilot_pool, "enterprise_id", _ENROLMENT, ("uscc",))
        self._remove = VersionedUpsert(self.pilot_pool, "enterprise_id", ("removed_on",), ("uscc",))

    async def record_organisation(
        self, session: AsyncSession, envelope: CloudEvent, payload: OrganisationRegistered | OrganisationUpdated
    ) -> None:
        values = {"organisation_id": payload.organisation_id} | {name: getattr(payload, name) for name in _PROFILE}
        await self._organisation.apply(session, values, fact_version(envelope, payload))

    async def record_title_granted(self, session: AsyncSession, envelope: CloudEvent, payload: TitleGranted) -> None:
        granted = {"name_zh": payload.name_zh, "valid_from": payload.valid_from, "valid_until": payload.valid_until}
        await self._grant.apply(session, _title_identity(payload) | granted, fact_version(envelope, payload))

    async def record_title_revoked(self, session: AsyncSession, envelope: CloudEvent, payload: TitleRevoked) -> None:
        revoked = {"revoked_on": payload.revoked_on, "revocation_reason": payload.reason}
        await self._revoke.apply(session, _title_identity(payload) | revoked, fact_version(envelope, payload))

    async def record_enrolment(self, session: AsyncSession, envelope: CloudEvent, payload: EnterpriseEnrolled) -> None:
        values = {name: getattr(payload, name) for name in ("enterprise_id", "uscc", *_ENROLMENT[:-1])}
        await self._enrol.apply(session, values | {"removed_on": None}, fact_version(envelope, payload))

    async def record_removal(self, session: AsyncSession, envelope: CloudEvent, payload: EnterpriseRemoved) -> None:
        values = {"enterprise_id": payload.enterprise_id, "uscc": payload.uscc, "removed_on": payload.removed_on}
        await self._remove.apply(session, values, fact_version(envelope, payload))

    def subscription(self, consumer: str) -> Subscription:
        return Subscription(consumer, "registry", [
            Reaction(ORGANISATION_REGISTERED, self.record_organisation),
            Reaction(ORGANISATION_UPDATED, self.record_organisation),
            Reaction(TITLE_GRANTED, self.record_title_granted),
            Reaction(TITLE_REVOKED, self.record_title_revoked),
            Reaction(ENTERPRISE_ENROLLED, self.record_enrolment),
            Reaction(ENTERPRISE_REMOVED, self.record_removal),
        ])


def _title_identity(payload: TitleGranted | TitleRevoked) -> dict[str, Any]:
    return {"title_id": payload.title_id} | {name: getattr(payload, name) for name in _TITLE_IDENTITY}


# ---- frozen revision bodies ---------------------------------------------------------------------
# A keeping service's history calls these, in order, like ``migrations.common_v1``. They spell out the
# tables as they were when released; a change to a ``*_table`` shape above needs a new body
# (``registry_readmodels_v2``) and a revision in every keeping service, never an edit here.


def registry_readmodels_v1(op: Any) -> None:
    op.create_table(
        "known_organisations",
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("sector", sa.String(length=50), nullable=True),
        sa.Column("industry_code", sa.String(length=20), nullable=True),
        sa.Column("size_class", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("facts_applied", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_index("ix_known_organisations_uscc", "known_organisations", ["uscc"], unique=False)
    op.create_table(
        "known_titles",
        sa.Column("title_id", sa.String(length=100), nullable=False),
        sa.Column("title_number", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("title_id"),
    )
    op.create_index("ix_known_titles_organisation_id", "known_titles", ["organisation_id"], unique=False)
    op.create_index("ix_known_titles_title_number", "known_titles", ["title_number"], unique=False)
    op.create_table(
        "pilot_pool",
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=True),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("size_class", sa.String(length=20), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id"),
    )


def registry_readmodels_v1_downgrade(op: Any) -> None:
    for table in ("pilot_pool", "known_titles", "known_organisations"):
        op.drop_table(table)
