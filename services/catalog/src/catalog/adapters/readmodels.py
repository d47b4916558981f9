"""The facts of other services the catalog keeps: the registry's organisations, titles and pilot pool (the shared
mechanism, its revision 0002), and — its revision catalog_0001 — the organisations' verification standing, the
expert pool, declared relationships and ecosystem partners (the conflict-aware panel drawing reads these), and the
diagnosis edition in force (the scenes products name by id).

Every table is filled with ``VersionedUpsert``: facts may arrive out of order or twice and the rows still end in
the newest state (a relationship withdrawn before its declaration arrives stays withdrawn).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.events import CloudEvent
from sihua_shared.readmodels import RegistryReadModels, VersionedUpsert, fact_version

from .tables import metadata

REGISTRY_FACTS = RegistryReadModels(metadata)
known_organisations = REGISTRY_FACTS.organisations
known_titles = REGISTRY_FACTS.titles
pilot_pool = REGISTRY_FACTS.pilot_pool


organisation_standing = Table(
    "organisation_standing",
    metadata,
    Column("organisation_id", String(100), primary_key=True),
    Column("verification", String(20), nullable=False),  # verified / unverified / rejected
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

expert_pool = Table(
    "expert_pool",
    metadata,
    Column("expert_account_id", String(100), primary_key=True),
    Column("display_name", String(200)),
    Column("organisation_id", String(100)),
    Column("fields", JSONB),
    Column("district", String(50)),
    Column("can_chair", Boolean),
    Column("declared_conflicts", JSONB),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

relationships = Table(
    "relationships",
    metadata,
    Column("relationship_id", String(100), primary_key=True),
    Column("organisation_a_id", String(100), nullable=False, index=True),
    Column("organisation_b_id", String(100), nullable=False, index=True),
    Column("kind", String(30)),
    Column("withdrawn", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ecosystem_partners = Table(
    "ecosystem_partners",
    metadata,
    Column("membership_id", String(100), primary_key=True),
    Column("traction_unit_id", String(100), nullable=False),
    Column("partner_id", String(100), nullable=False, index=True),
    Column("ended", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per edition id, the version activated last; the edition in force is the newest row.
editions = Table(
    "editions",
    metadata,
    Column("edition_id", String(50), primary_key=True),
    Column("version_id", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("scenes", JSONB, nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),  # the activation time in microseconds: a later one wins
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

_standing = VersionedUpsert(organisation_standing, "organisation_id", ("verification",))
_expert_profile = VersionedUpsert(expert_pool, "expert_account_id", ("active",),
                                  ("display_name", "organisation_id", "fields", "district", "can_chair", "declared_conflicts"))
_expert_left = VersionedUpsert(expert_pool, "expert_account_id", ("active",))
_relationship = VersionedUpsert(relationships, "relationship_id", ("withdrawn",),
                                ("organisation_a_id", "organisation_b_id", "kind"))
_partner = VersionedUpsert(ecosystem_partners, "membership_id", ("ended",), ("traction_unit_id", "partner_id"))
_edition = VersionedUpsert(editions, "edition_id", ("version_id", "title", "scenes", "activated_at"))


async def record_standing(
    session: AsyncSession, envelope: CloudEvent,
    payload: registry_facts.OrganisationRegistered | registry_facts.OrganisationUpdated,
) -> None:
    # No verification status: registered (or changed) by an official, so verified.
    values = {"organisation_id": payload.organisation_id, "verification": payload.verification or "verified"}
    await _standing.apply(session, values, fact_version(envelope, payload))


async def record_verified(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.OrganisationVerified) -> None:
    await _standing.apply(session, {"organisation_id": payload.organisation_id, "verification": "verified"},
                          fact_version(envelope, payload))


async def record_rejected(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.OrganisationRejected) -> None:
    await _standing.apply(session, {"organisation_id": payload.organisation_id, "verification": "rejected"},
                          fact_version(envelope, payload))


async def record_expert(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.ExpertProfileSet) -> None:
    values = payload.model_dump(include={"expert_account_id", "display_name", "organisation_id", "fields", "district",
                                         "can_chair", "declared_conflicts", "active"})
    await _expert_profile.apply(session, values, fact_version(envelope, payload))


async def record_expert_left(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.ExpertLeftPool) -> None:
    await _expert_left.apply(session, {"expert_account_id": payload.expert_account_id, "active": False},
                             fact_version(envelope, payload))


async def record_relationship(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.RelationshipDeclared) -> None:
    values = payload.model_dump(include={"relationship_id", "organisation_a_id", "organisation_b_id", "kind"})
    await _relationship.apply(session, values | {"withdrawn": False}, 1)


async def record_withdrawal(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.RelationshipWithdrawn) -> None:
    values = payload.model_dump(include={"relationship_id", "organisation_a_id", "organisation_b_id"})
    await _relationship.apply(session, values | {"withdrawn": True}, 2)  # a withdrawal is final


async def record_partner(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.EcosystemPartnerConfirmed) -> None:
    values = payload.model_dump(include={"membership_id", "traction_unit_id", "partner_id"})
    await _partner.apply(session, values | {"ended": False}, 1)


async def record_partner_ended(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.EcosystemPartnerEnded) -> None:
    values = payload.model_dump(include={"membership_id", "traction_unit_id", "partner_id"})
    await _partner.apply(session, values | {"ended": True}, 2)


async def record_edition(session: AsyncSession, envelope: CloudEvent, payload: diagnosis_facts.EditionActivated) -> None:
    moment = datetime.fromisoformat(envelope.time.replace("Z", "+00:00"))
    values = {"edition_id": payload.edition_id, "version_id": payload.version_id, "title": payload.title,
              "scenes": [s.model_dump(mode="json") for s in payload.scenes], "activated_at": moment}
    await _edition.apply(session, values, int(moment.timestamp()))


REGISTRY_REACTIONS = [
    Reaction(registry_facts.ORGANISATION_REGISTERED, record_standing),
    Reaction(registry_facts.ORGANISATION_UPDATED, record_standing),
    Reaction(registry_facts.ORGANISATION_VERIFIED, record_verified),
    Reaction(registry_facts.ORGANISATION_REJECTED, record_rejected),
    Reaction(registry_facts.EXPERT_PROFILE_SET, record_expert),
    Reaction(registry_facts.EXPERT_LEFT_POOL, record_expert_left),
    Reaction(registry_facts.RELATIONSHIP_DECLARED, record_relationship),
    Reaction(registry_facts.RELATIONSHIP_WITHDRAWN, record_withdrawal),
    Reaction(registry_facts.ECOSYSTEM_PARTNER_CONFIRMED, record_partner),
    Reaction(registry_facts.ECOSYSTEM_PARTNER_ENDED, record_partner_ended),
]


def catalog_readmodels(consumer: str = "catalog") -> list[Subscription]:
    """The reactions filling the tables above (the shared registry read models subscribe on their own)."""
    return [
        Subscription(consumer, "registry", list(REGISTRY_REACTIONS)),
        Subscription(consumer, "diagnosis", [Reaction(diagnosis_facts.EDITION_ACTIVATED, record_edition)]),
    ]
