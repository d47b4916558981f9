"""Declared relationships between organisations (shareholding, group membership, staff moving), the input of
conflict-of-interest checks in expert review. They take a session and never commit.

Each declaration and withdrawal is a fact (``relationship.declared`` / ``.withdrawn``, aggregate versions 1 and 2):
catalog keeps the graph to draw its admission-review panels with ``sihua_shared.panel``.

A relationship is declared on one organisation's page but has no direction: ``related_organisations`` and
``relationships_around`` follow it both ways, and a pair declared from either side counts once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.registry import (
    RELATIONSHIP_DECLARED,
    RELATIONSHIP_WITHDRAWN,
    RelationshipDeclared,
    RelationshipWithdrawn,
)
from sihua_shared.errors import conflict, forbidden, invalid, not_found
from sihua_shared.outbox import record_event
from sihua_shared.panel import ConflictGraph, Relationship, RelationshipKind

from ..adapters.profile_tables import organisation_relationships as rel
from ..domain import access as policy
from .access import organisation_resource
from .organisations import get_organisation, visible_organisation

KIND_LABELS: dict[RelationshipKind, str] = {
    RelationshipKind.SHAREHOLDING: "股权关系",
    RelationshipKind.GROUP_MEMBERSHIP: "同一集团",
    RelationshipKind.STAFF_MOVE: "人员任职或流动",
}


def _between(a: str, b: str) -> Any:
    return or_(
        (rel.c.organisation_id == a) & (rel.c.related_organisation_id == b),
        (rel.c.organisation_id == b) & (rel.c.related_organisation_id == a),
    )


async def declare_relationship(
    session: AsyncSession, actor: Actor, org_id: str, related_id: str, kind: RelationshipKind, note: str = ""
) -> dict[str, Any]:
    """Officials with the organisation in scope, or the organisation itself, declare a relationship."""
    await visible_organisation(session, actor, org_id)
    if related_id == org_id:
        raise invalid("body.related_organisation_id", "不能与本单位自身建立关系", "cannot relate an organisation to itself")
    if await get_organisation(session, related_id) is None:
        raise invalid("body.related_organisation_id", "关联单位不存在", "the related organisation does not exist")
    existing = await session.execute(select(rel.c.id).where(_between(org_id, related_id), rel.c.kind == kind.value))
    if existing.first() is not None:
        raise conflict(
            "relationship_exists", "该关系已登记", "this relationship is already declared", field="body.related_organisation_id"
        )
    row = {
        "id": str(uuid.uuid4()),
        "organisation_id": org_id,
        "related_organisation_id": related_id,
        "kind": kind.value,
        "note": note,
        "declared_by": actor.id,
    }
    stored = await session.execute(pg_insert(rel).values(**row).on_conflict_do_nothing().returning(rel))
    created = stored.mappings().first()
    if created is None:  # declared at the same moment by someone else
        raise conflict("relationship_exists", "该关系已登记", "this relationship is already declared", field="body.related_organisation_id")
    view = dict(created)
    payload = RelationshipDeclared(
        relationship_id=row["id"], organisation_a_id=org_id, organisation_b_id=related_id, kind=kind.value,
        declared_on=business_clock(session).today(),
    )
    await record_event(session, RELATIONSHIP_DECLARED, payload, subject=row["id"], aggregate_version=1)
    await audit(session, actor, "organisation.relationship.declare", "organisation_relationship", row["id"], after=view)
    return view


async def list_relationships(
    session: AsyncSession, actor: Actor, org_id: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The relationships touching ``org_id``, declared from either side."""
    await visible_organisation(session, actor, org_id)
    touching = or_(rel.c.organisation_id == org_id, rel.c.related_organisation_id == org_id)
    total = (await session.execute(select(func.count()).select_from(rel).where(touching))).scalar_one()
    found = await session.execute(select(rel).where(touching).order_by(rel.c.created_at, rel.c.id).limit(limit).offset(offset))
    return [dict(r) for r in found.mappings()], int(total)


async def delete_relationship(
    session: AsyncSession, actor: Actor, org_id: str, relationship_id: str, reason: str = ""
) -> None:
    """Only officials withdraw a relationship: an organisation may not quietly drop what conflicts rest on."""
    organisation = await visible_organisation(session, actor, org_id)
    if not policy.organisation_officials(actor).admits(organisation_resource(organisation)):
        raise forbidden("只有主管部门可以删除已登记的关系", "only officials withdraw a declared relationship")
    touching = or_(rel.c.organisation_id == org_id, rel.c.related_organisation_id == org_id)
    removed = await session.execute(delete(rel).where(rel.c.id == relationship_id, touching).returning(rel))
    before = removed.mappings().first()
    if before is None:
        raise not_found("relationship", relationship_id)
    payload = RelationshipWithdrawn(
        relationship_id=relationship_id, organisation_a_id=before["organisation_id"],
        organisation_b_id=before["related_organisation_id"], reason=reason,
    )
    await record_event(session, RELATIONSHIP_WITHDRAWN, payload, subject=relationship_id, aggregate_version=2)
    await audit(session, actor, "organisation.relationship.delete", "organisation_relationship", relationship_id,
                before=before, after={"reason": reason})


async def relationships_around(session: AsyncSession, org_ids: Collection[str]) -> list[Relationship]:
    """Every declared relationship in the connected part of the graph that holds ``org_ids``: enough to build a
    ``sihua_shared.panel.ConflictGraph`` for them, transitive or not."""
    seen: set[str] = set(org_ids)
    frontier = set(org_ids)
    found: dict[str, Relationship] = {}
    while frontier:
        rows = await session.execute(
            select(rel.c.id, rel.c.organisation_id, rel.c.related_organisation_id, rel.c.kind).where(
                or_(rel.c.organisation_id.in_(frontier), rel.c.related_organisation_id.in_(frontier))
            )
        )
        frontier = set()
        for rid, a, b, kind in rows:
            found[rid] = Relationship(a, b, RelationshipKind(kind))
            frontier |= {a, b} - seen
        seen |= frontier
    return list(found.values())


async def related_organisations(session: AsyncSession, org_id: str, *, transitive: bool = True) -> frozenset[str]:
    """The ids of the organisations related to ``org_id`` (not itself), for conflict checks.

    Transitive by default, as ``sihua_shared.panel.ConflictGraph`` is: related through any chain of declared
    relationships. ``transitive=False`` gives the direct relations only.
    """
    if transitive:
        return ConflictGraph(await relationships_around(session, [org_id])).related(org_id)
    rows = await session.execute(
        select(rel.c.organisation_id, rel.c.related_organisation_id).where(
            or_(rel.c.organisation_id == org_id, rel.c.related_organisation_id == org_id)
        )
    )
    return frozenset(other for pair in rows for other in pair if other != org_id)
