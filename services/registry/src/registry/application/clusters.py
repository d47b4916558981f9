"""特色产业集群 (S2 三(六), 四 3): a cluster body (特色产业集群相关责任主体, an organisation of kind ``cluster_body``)
names its cluster — name, district, pilot sector; a district officer of that district (or the city) recommends
enterprises of the district as members; a city officer approves or rejects each recommendation; an approved member
is removed with a reason (``domain.alliances``).

Approval and removal are the facts other services act on (catalog: the cluster's group purchases):
``cluster.member_approved`` / ``cluster.member_removed``, the aggregate version being the membership's version.
The use cases take a session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.registry import (
    CLUSTER_MEMBER_APPROVED,
    CLUSTER_MEMBER_REMOVED,
    ClusterMemberApproved,
    ClusterMemberRemoved,
)
from sihua_shared.errors import conflict, forbidden, invalid
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.paging import fetch_page

from ..adapters.alliance_tables import cluster_members as members
from ..adapters.alliance_tables import clusters
from ..adapters.tables import organisations
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from ..domain.alliances import CLUSTER_MEMBER_MACHINE, OPEN_MEMBER_STATES, ClusterMemberAction, ClusterMemberState
from .access import ensure
from .acting_for import acting_for
from .lifecycle import Lifecycle, find_row, insert_row
from .organisation_names import with_names
from .organisations import get_organisation
from .places import check_district, check_sector


def _body_of_member(org: Any) -> ColumnElement[bool]:
    return (members.c.enterprise_id == org) | members.c.cluster_id.in_(select(clusters.c.id).where(clusters.c.cluster_body_id == org))


MEMBER_COLUMNS: dict[str, Attribute] = {ORGANISATION: _body_of_member, DISTRICT: members.c.district}


MEMBERS = Lifecycle(members, CLUSTER_MEMBER_MACHINE, what="cluster member", entity_type="cluster_member",
                    audit_prefix="cluster.member")


def _member_resource(row: Mapping[str, Any], cluster: Mapping[str, Any]) -> dict[str, Any]:
    return {ORGANISATION: [row["enterprise_id"], cluster["cluster_body_id"]], DISTRICT: row["district"]}


# ---- clusters -------------------------------------------------------------------------------------------------


async def create_cluster(
    session: AsyncSession,
    actor: Actor,
    *,
    cluster_body_id: str | None,
    name: str,
    district: str,
    sector: str,
    jurisdiction: Jurisdiction,
) -> dict[str, Any]:
    """A cluster body's own accounts (or a city officer) name the body's cluster; one per body (409 after)."""
    body_id = acting_for(actor, cluster_body_id, policy.cluster_owner(actor), field="body.cluster_body_id",
                         missing=("请指定集群责任主体", "name the cluster body"),
                         refusal=("只有集群责任主体本单位账号或市级主管部门可以登记集群",
                                  "only the cluster body itself or the city names its cluster"))
    check_district(jurisdiction, district, "body.district")
    check_sector(jurisdiction, sector, "body.sector")
    body = await get_organisation(session, body_id, lock=True)
    if body is None:
        raise invalid("body.cluster_body_id", "集群责任主体不存在", "the cluster body does not exist")
    if body["kind"] != "cluster_body":
        raise invalid("body.cluster_body_id", "该单位不是特色产业集群相关责任主体", "the organisation is no cluster body",
                      code="not_a_cluster_body")
    existing = (await session.execute(select(clusters.c.id).where(clusters.c.cluster_body_id == body_id))).first()
    if existing is not None:
        raise conflict("cluster_exists", "该责任主体已登记集群", "the cluster body has named its cluster already",
                       field="body.cluster_body_id", cluster_id=existing.id)
    row: dict[str, Any] = {"id": str(uuid.uuid4()), "cluster_body_id": body_id, "name": name, "district": district, "sector": sector,
           "created_by": actor.id, "version": 1}
    stored = await insert_row(session, actor, clusters, row, action="cluster.create", entity_type="cluster")
    return await _with_body(session, stored)


async def _with_body(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    return await with_names(session, row, cluster_body_name="cluster_body_id")


async def find_cluster(session: AsyncSession, cluster_id: str, *, lock: bool = False) -> dict[str, Any]:
    return await find_row(session, clusters, cluster_id, "cluster", lock=lock)


async def get_cluster(session: AsyncSession, cluster_id: str) -> dict[str, Any]:
    return await _with_body(session, await find_cluster(session, cluster_id))


async def list_clusters(
    session: AsyncSession, *, limit: int, offset: int, district: str | None = None, sector: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    conditions = [column == value for column, value in ((clusters.c.district, district), (clusters.c.sector, sector))
                  if value is not None]
    found, total = await fetch_page(session, select(clusters).where(*conditions).order_by(clusters.c.name, clusters.c.id),
                                    limit=limit, offset=offset)
    return [await _with_body(session, r) for r in found], total


# ---- members --------------------------------------------------------------------------------------------------


async def recommend_member(
    session: AsyncSession, actor: Actor, cluster_id: str, enterprise_id: str, note: str = ""
) -> dict[str, Any]:
    """A district officer of the cluster's district (or the city) recommends an enterprise of that district."""
    cluster = await find_cluster(session, cluster_id, lock=True)  # serialises recommendations to one cluster
    ensure(policy.cluster_recommender(actor), {DISTRICT: cluster["district"]},
           forbidden("只能推荐本区集群的成员企业", "district officers recommend members of their own district's clusters",
                     field="path.cluster_id", code="outside_district"))
    enterprise = await get_organisation(session, enterprise_id)
    if enterprise is None:
        raise invalid("body.enterprise_id", "企业不存在", "the enterprise does not exist")
    if enterprise["kind"] != "enterprise":
        raise invalid("body.enterprise_id", "集群成员须为企业", "a cluster member is an enterprise", code="not_an_enterprise")
    if enterprise["district"] != cluster["district"]:
        raise invalid("body.enterprise_id", "该企业不在集群所在区", "the enterprise is not in the cluster's district",
                      code="outside_cluster_district")
    current = (await session.execute(select(members.c.id).where(
        members.c.cluster_id == cluster_id, members.c.enterprise_id == enterprise_id,
        members.c.state.in_(OPEN_MEMBER_STATES)))).first()
    if current is not None:
        raise conflict("already_member", "该企业已被推荐或已是集群成员", "the enterprise is already recommended or a member",
                       field="body.enterprise_id", member_id=current.id)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()), "cluster_id": cluster_id, "enterprise_id": enterprise_id, "district": cluster["district"],
        "state": ClusterMemberState.RECOMMENDED.value, "note": note, "recommended_by": actor.id,
        "recommended_on": business_clock(session).today(), "version": 1,
    }
    return await _member_view(session, await MEMBERS.create(session, actor, row, "recommend"))


async def _member_view(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    return await with_names(session, row, enterprise_name="enterprise_id")


async def _visible_member(
    session: AsyncSession, actor: Actor, member_id: str, *, lock: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await MEMBERS.find(session, member_id, lock=lock)
    cluster = await find_cluster(session, row["cluster_id"])
    ensure(policy.cluster_members(actor), _member_resource(row, cluster),
           forbidden("无权查看该集群成员记录", "you may not see this cluster membership"))
    return row, cluster


async def get_member(session: AsyncSession, actor: Actor, member_id: str) -> dict[str, Any]:
    row, _ = await _visible_member(session, actor, member_id)
    return await _member_view(session, row)


async def decide_member(
    session: AsyncSession,
    actor: Actor,
    member_id: str,
    *,
    approve: bool,
    reason: str = "",
    check_version: Callable[[int], None],
) -> dict[str, Any]:
    """A city officer approves (publishes ``cluster.member_approved``) or rejects a recommendation."""
    before, cluster = await _visible_member(session, actor, member_id, lock=True)
    if not policy.cluster_approver(actor):
        raise forbidden("集群成员由市工业和信息化局确认", "the city approves cluster members")
    check_version(before["version"])
    today = business_clock(session).today()
    if not approve:
        after = await MEMBERS.step(session, actor, before, ClusterMemberAction.REJECT,
                                   {"decided_by": actor.id, "rejected_on": today, "rejection_reason": reason})
        return await _member_view(session, after)
    after = await MEMBERS.step(session, actor, before, ClusterMemberAction.APPROVE, {"decided_by": actor.id, "approved_on": today})
    body, enterprise = await get_organisation(session, cluster["cluster_body_id"]), await get_organisation(session, after["enterprise_id"])
    assert body is not None and enterprise is not None  # foreign keys
    payload = ClusterMemberApproved(
        membership_id=after["id"], cluster_body_id=body["id"], cluster_body_uscc=body["uscc"], cluster_name=cluster["name"],
        enterprise_id=enterprise["id"], enterprise_uscc=enterprise["uscc"], district=after["district"], approved_on=today,
    )
    await MEMBERS.publish(session, CLUSTER_MEMBER_APPROVED, payload, after)
    return await _member_view(session, after)


async def remove_member(
    session: AsyncSession, actor: Actor, member_id: str, reason: str, *, check_version: Callable[[int], None]
) -> dict[str, Any]:
    """The city, or the district officer of the member's district, removes an approved member with the reason."""
    before, cluster = await _visible_member(session, actor, member_id, lock=True)
    ensure(policy.cluster_remover(actor), {DISTRICT: before["district"]},
           forbidden("只能移出本区集群的成员企业", "district officers remove members of their own district's clusters",
                     code="outside_district"))
    check_version(before["version"])
    today = business_clock(session).today()
    after = await MEMBERS.step(session, actor, before, ClusterMemberAction.REMOVE,
                               {"removed_by": actor.id, "removed_on": today, "removal_reason": reason})
    payload = ClusterMemberRemoved(membership_id=after["id"], cluster_body_id=cluster["cluster_body_id"],
                                   enterprise_id=after["enterprise_id"], reason=reason, removed_on=today)
    await MEMBERS.publish(session, CLUSTER_MEMBER_REMOVED, payload, after)
    return await _member_view(session, after)


async def list_members(
    session: AsyncSession, actor: Actor, cluster_id: str, *, limit: int, offset: int, state: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    await find_cluster(session, cluster_id)
    conditions: list[ColumnElement[bool]] = [members.c.cluster_id == cluster_id, where(policy.cluster_members(actor), MEMBER_COLUMNS)]
    if state is not None:
        conditions.append(members.c.state == state)
    return await fetch_page(session, select(members, organisations.c.name.label("enterprise_name"))
                            .join(organisations, organisations.c.id == members.c.enterprise_id).where(*conditions)
                            .order_by(members.c.recommended_on.desc(), members.c.created_at.desc(), members.c.id),
                            limit=limit, offset=offset)
